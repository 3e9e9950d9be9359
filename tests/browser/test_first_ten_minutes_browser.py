"""A merchant's first ten minutes in a real browser (Debian's Chromium), right after `make run` and `sadakat
simulate`: the overview, the shop, the programme editor (a tier and a gift added, a mistake, the fix, saved),
the customers, an adjustment, the care queue and the mailbox; English and Turkish, 360 px and 1280 px, no
markup or internal name shown as text, and no serious or critical axe-core violation on any page."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from redis import Redis

from adapters import get_adapter
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops import simulation
from connector.ops.customers import segments
from connector.ops.supervisor import ensure_sandbox_shop
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_programme_browser import log_in
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import shoot
from tests.support import drain

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WORDS = {
    "en": {"edit": "Edit the programme", "tiers": "VIP tiers", "gifts": "Surprise gifts", "add_tier": "Add a tier",
           "add_gift": "Add a gift", "save": "Save", "error": "Enter a number.", "saved": "Programme saved.",
           "rule": "Order over an amount", "customers": "Customers", "adjust": "Adjust points",
           "adjusted": "Adjustment: +25 points", "care": "Care queue", "mail": "Mailbox"},
    "tr": {"edit": "Programı düzenle", "tiers": "VIP seviyeleri", "gifts": "Sürpriz hediyeler",
           "add_tier": "Seviye ekle", "add_gift": "Hediye ekle", "save": "Kaydet", "error": "Bir sayı girin.",
           "saved": "Program kaydedildi.", "rule": "Belirli bir tutarın üzerindeki sipariş",
           "customers": "Müşteriler", "adjust": "Puanları düzelt", "adjusted": "Düzeltme: +25 puan",
           "care": "Destek kuyruğu", "mail": "Posta kutusu"},
}  # fmt: skip
RAW = re.compile(r"<\w|&lt;|&gt;|\d{4}-\d\d-\d\d|\b[a-z]+_[a-z_]+\b|\bemail:")
"""What must never show as text: markup, an ISO date or time, a snake_case identifier, a customer's key."""
ENGLISH = ("admin pages", "command line", "apology code", "parcel was", "Welcome gift", "points")
"""English that a Turkish page showed once (the change history, the care queue, a customer's history)."""


@pytest.fixture
def simulated(server_url: str, config: Config, storage: Storage, redis: Redis) -> Shop:
    """The sandbox store `make run` registers, after `sadakat simulate` sent it six months of orders."""
    shop_id = ensure_sandbox_shop(config)
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None and shop.webhook_secret and shop.carrier_secret
        secrets = (shop.webhook_secret, shop.carrier_secret)
    traffic = get_adapter(shop.platform).simulated_traffic(shop_id, *secrets, 40, 7)  # type: ignore[attr-defined]
    report = simulation.simulate(storage, shop_id, server_url, traffic, 7, 0)
    assert not report.refused()
    drain(redis)
    drain(redis)
    segments.roll_up(storage, shop_id)
    return shop


def plain(page: Page, lang: str) -> None:
    """The page shows words in the reader's language, not markup or internal names."""
    text = page.locator("main").inner_text()
    found = RAW.search(text)
    assert found is None, f"{page.url} shows {found[0]!r}" if found else ""
    if lang == "tr":
        assert not [words for words in ENGLISH if words in text], f"{page.url} shows English"


def looks_right(page: Page, lang: str, name: str, width: int, written_in: str | None = None) -> None:
    """In ``lang``, plain words (``written_in`` another language: a letter to a customer), fits, axe-clean."""
    assert page.locator("html").get_attribute("lang") == lang, page.url
    plain(page, written_in or lang)
    fits(page)
    no_serious_violations(page)
    shoot(page, f"walk-merchant-{name}-{lang}-{width}")


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_merchants_first_ten_minutes(
    browser: Browser,  # noqa: F811
    server_url: str,
    simulated: Shop,
    lang: str,
    width: int,
) -> None:
    w = WORDS[lang]
    page = tab(browser, width)
    log_in(page, server_url, lang)
    looks_right(page, lang, "overview", width)

    page.get_by_role("link", name=simulated.domain).first.click()
    expect(page.locator("h1")).to_contain_text(simulated.domain)
    looks_right(page, lang, "shop", width)

    page.locator("#edit-programme").click()
    expect(page.locator("#earn_rate")).to_be_visible()
    looks_right(page, lang, "editor", width)
    if width == 360:
        page.locator("#tiers > summary").click()
    rows = page.locator("#tiers .row-card").count()
    page.get_by_role("button", name=w["add_tier"]).click()
    page.fill(f"#tier-{rows}-name", "Platin")
    page.fill(f"#tier-{rows}-min_spend", "5000")
    page.fill(f"#tier-{rows}-multiplier", "2" if lang == "en" else "2,5")
    if width == 360:
        page.locator("#gifts > summary").click()
    gifts = page.locator("#gifts .row-card").count()
    page.get_by_role("button", name=w["add_gift"]).click()
    page.wait_for_load_state()  # the new row comes with the page the button posted for
    page.select_option(f"#gift-{gifts}-rule", label=w["rule"])
    page.fill(f"#gift-{gifts}-value", "10")
    page.fill(f"#gift-{gifts}-threshold", "lots")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(f"#gift-{gifts}-threshold")).to_be_focused()
    expect(page.locator(f"#gift-{gifts}-threshold-error")).to_have_text(w["error"])
    page.fill(f"#gift-{gifts}-threshold", "150" if lang == "en" else "150,50")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".notice")).to_have_text(w["saved"])
    expect(page.locator("#history")).to_contain_text("Platin")
    looks_right(page, lang, "saved", width)

    page.goto(f"{server_url}/admin/shops/{simulated.id}/customers")
    looks_right(page, lang, "customers", width)
    page.locator("#customers tbody a").first.click()
    expect(page.locator("h1")).to_be_visible()
    looks_right(page, lang, "customer", width)
    page.fill("#points", "25")
    page.fill("#reason", "Welcome back")
    page.locator("#adjust-button").click()
    expect(page.locator("#history")).to_contain_text(w["adjusted"])
    looks_right(page, lang, "adjusted", width)

    page.goto(f"{server_url}/admin/shops/{simulated.id}/care")
    plain(page, lang)
    page.goto(f"{server_url}/admin/shops/{simulated.id}/care?status=all")  # the late parcels, since delivered
    expect(page.locator(".care-item").first).to_be_visible()
    looks_right(page, lang, "care", width)
    page.goto(f"{server_url}/admin/mail")
    looks_right(page, lang, "mailbox", width)
    page.locator("#mail tbody a").first.click()
    looks_right(page, lang, "letter", width, written_in="en")  # the demo shop writes to customers in English
    page.context.close()
