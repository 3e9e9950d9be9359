"""The programme editor in a real browser (Debian's Chromium): a merchant adds a tier and a gift rule, types
a bad value and sees it at its field with nothing saved, corrects it and saves; English and Turkish, 360 px
and 1280 px, and no serious or critical axe-core violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from connector.db.tables import Shop
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import shoot
from tests.support import ADMIN_PASSWORD, AUTH

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WORDS = {
    "en": {"language": "Türkçe", "add_tier": "Add a tier", "add_gift": "Add a gift", "save": "Save",
           "error": "Enter a number.", "saved": "Programme saved.", "rule": "Order over an amount",
           "kind": "Percentage off", "preview": "15% off", "live": "Earn 3 points",
           "tiers": "VIP tiers", "gifts": "Surprise gifts"},
    "tr": {"language": "English", "add_tier": "Seviye ekle", "add_gift": "Hediye ekle", "save": "Kaydet",
           "error": "Bir sayı girin.", "saved": "Program kaydedildi.", "rule": "Belirli bir tutarın üzerindeki sipariş",
           "kind": "Yüzde indirim", "preview": "%15 indirim", "live": "3 puan kazanın",
           "tiers": "VIP seviyeleri", "gifts": "Sürpriz hediyeler"},
}  # fmt: skip


def log_in(page: Page, server_url: str, lang: str) -> None:
    page.goto(f"{server_url}/admin/login")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server_url}/admin/")
    if lang == "tr":
        page.get_by_role("button", name="Türkçe").click()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_merchant_edits_the_programme(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_shop: Shop,
    lang: str,
    width: int,
) -> None:
    w = WORDS[lang]
    page = tab(browser, width)
    log_in(page, server_url, lang)
    page.goto(f"{server_url}/admin/shops/{woo_shop.id}/programme")
    fits(page)
    no_serious_violations(page)
    page.fill("#earn_rate", "3")  # the preview follows what is typed, before anything is saved
    expect(page.locator("#preview")).to_contain_text(w["live"])
    sections = page.locator("details.section")
    opened = sections.evaluate_all("all => all.map(s => s.open)")
    if width == 360:  # a phone starts with the sections folded but the first, and a tap opens one
        assert opened == [True] + [False] * (len(opened) - 1)
        assert page.evaluate("document.body.scrollHeight") < 3000
        page.locator("#tiers > summary").get_by_text(w["tiers"]).click()
        expect(page.locator("#tiers")).to_have_attribute("open", "")
    else:
        assert all(opened) and len(opened) == 7
    page.get_by_role("button", name=w["add_tier"]).click()
    assert page.url.endswith("#tier-0")  # back at the row just added, not at the top
    page.fill("#tier-0-name", "Gold")
    page.fill("#tier-0-min_spend", "500")
    page.fill("#tier-0-multiplier", "2")
    if width == 360:
        page.locator("#gifts > summary").get_by_text(w["gifts"]).click()
    page.get_by_role("button", name=w["add_gift"]).click()
    expect(page.locator("#tier-0-name")).to_be_visible()  # the sections opened stay open across the reload
    expect(page.locator("#tier-0-name")).to_have_value("Gold")  # adding a row keeps what was typed
    expect(page.locator("#gift-0-threshold")).to_be_hidden()  # a first order's gift has no threshold
    page.select_option("#gift-0-rule", label=w["rule"])
    expect(page.locator("#gift-0-threshold")).to_be_visible()
    expect(page.locator("#gift-0-every")).to_be_hidden()
    page.select_option("#gift-0-kind", label=w["kind"])
    page.fill("#gift-0-value", "15")
    page.fill("#gift-0-threshold", "lots")
    page.get_by_role("button", name=w["save"]).click()
    expect(page.locator("#gift-0-threshold-error")).to_have_text(w["error"])
    expect(page.locator("#gift-0-threshold")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#gift-0-threshold")).to_be_focused()  # the first error, scrolled to and focused
    fits(page)
    no_serious_violations(page)
    stored = requests.get(f"{server_url}/admin/api/shops/{woo_shop.id}/settings", headers=AUTH, timeout=10).json()
    assert stored["tiers"] == [] and stored["gifts"] == []  # nothing saved
    page.fill("#gift-0-threshold", "200")
    page.get_by_role("button", name=w["save"]).click()
    expect(page.locator(".notice")).to_have_text(w["saved"])
    expect(page.locator("#preview-gifts")).to_contain_text(w["preview"])
    expect(page.locator("#history")).to_contain_text("Gold (500)")
    shoot(page, f"admin-programme-{lang}-{width}")
    fits(page)
    stored = requests.get(f"{server_url}/admin/api/shops/{woo_shop.id}/settings", headers=AUTH, timeout=10).json()
    assert [t["name"] for t in stored["tiers"]] == ["Gold"] and stored["gifts"][0]["threshold"] == "200"
    page.context.close()
