"""Looking after a customer in a real browser (Debian's Chromium): find them by part of their name typed
without accents, open their page, adjust their points with a reason and see the ledger line; English and
Turkish, 360 px and 1280 px, and no serious or critical axe-core violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_programme_browser import log_in
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import shoot

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WORDS = {
    "en": {"search": "Show", "adjust": "Adjust", "done": "+25 points: the balance is now 1,025.",
           "line": "Adjustment: +25 points", "below": "That would take the balance below zero."},
    "tr": {"search": "Göster", "adjust": "Düzelt", "done": "+25 puan: bakiye artık 1.025.",
           "line": "Düzeltme: +25 puan", "below": "Bu, bakiyeyi sıfırın altına düşürür."},
}  # fmt: skip


@pytest.fixture
def people(woo_shop: Shop, storage: Storage) -> Shop:
    with storage.session() as session:
        session.add_all(
            [
                CustomerRecord(shop_id=woo_shop.id, key="7", platform_id="7", first_name="Şükrü", last_name="Yılmaz",
                               email="sukru@example.com", points=1000),
                CustomerRecord(shop_id=woo_shop.id, key="8", platform_id="8", first_name="Mary", last_name="Member",
                               email="mary@example.com", points=10),
            ]
        )  # fmt: skip
    return woo_shop


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_an_admin_finds_a_customer_and_adjusts_their_points(
    browser: Browser,  # noqa: F811
    server_url: str,
    people: Shop,
    lang: str,
    width: int,
) -> None:
    w = WORDS[lang]
    page = tab(browser, width)
    log_in(page, server_url, lang)
    page.goto(f"{server_url}/admin/shops/{people.id}/customers")
    fits(page)
    no_serious_violations(page)
    page.fill("#q", "sukru yil")
    page.get_by_role("button", name=w["search"]).click()
    rows = page.locator("#customers tbody tr")
    expect(rows).to_have_count(1)
    shoot(page, f"admin-customers-{lang}-{width}")
    fits(page)
    rows.get_by_role("link", name="Şükrü Yılmaz").click()
    expect(page.locator("#balance")).to_have_text("1,000" if lang == "en" else "1.000")
    fits(page)
    no_serious_violations(page)
    page.fill("#points", "-5000")
    page.fill("#reason", "Too much")
    page.get_by_role("button", name=w["adjust"]).click()
    expect(page.locator("#points-error")).to_have_text(w["below"])
    expect(page.locator("#points")).to_have_attribute("aria-invalid", "true")
    page.fill("#points", "25")
    page.fill("#reason", "Birthday call")
    page.get_by_role("button", name=w["adjust"]).click()
    expect(page.locator(".notice")).to_have_text(w["done"])
    expect(page.locator("#history tbody tr").first).to_contain_text(w["line"])
    expect(page.locator("#history tbody tr").first).to_contain_text("Birthday call")
    shoot(page, f"admin-customer-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    page.context.close()
