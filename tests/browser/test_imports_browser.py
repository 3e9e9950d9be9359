"""A merchant brings members over from Smile in the admin, in Chromium, in English and Turkish, on a phone and
a desktop: uploads the export, watches the check finish on its own, reads what it found, and imports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_programme_browser import log_in
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.support import drain

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
SAMPLE = Path(__file__).parents[1] / "fixtures" / "imports" / "smile-customers.csv"
WORDS = {
    "en": {
        "link": "Bring members over from another app", "file": "CSV file", "source": "Exported from",
        "check": "Check the file", "checked": "is checked: nothing has changed yet.", "go": "Import",
        "done": "is imported.", "rows": "Rows read", "tiers": "Tiers kept",
    },
    "tr": {
        "link": "Başka bir uygulamadan üyeleri aktarın", "file": "CSV dosyası", "source": "Dışa aktarıldığı uygulama",
        "check": "Dosyayı denetle", "checked": "denetlendi: henüz hiçbir şey değişmedi.", "go": "Aktar",
        "done": "aktarıldı.", "rows": "Okunan satırlar", "tiers": "Korunan seviyeler",
    },
}  # fmt: skip


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_merchant_checks_and_imports_a_smile_export(
    browser: Browser,  # noqa: F811
    server_url: str,
    offline_shopify_shop: Shop,
    storage: Storage,
    redis: Redis,
    lang: str,
    width: int,
) -> None:
    words = WORDS[lang]
    tiers = [{"name": "Silver", "min_spend": "300"}, {"name": "Gold", "min_spend": "700"}]
    change_settings(storage, offline_shopify_shop.id, {"tiers": tiers})
    page = tab(browser, width)
    log_in(page, server_url, lang)
    page.goto(f"{server_url}/admin/shops/{offline_shopify_shop.id}/customers")
    page.get_by_role("link", name=words["link"]).click()
    fits(page)
    no_serious_violations(page)
    page.get_by_label(words["file"]).set_input_files(SAMPLE)
    page.get_by_label(words["source"]).select_option("smile")
    page.get_by_role("button", name=words["check"]).click()
    drain(redis)  # the worker checks the file; the page reloads itself until it is done
    state = page.locator("#import-state")
    expect(state).to_contain_text(words["checked"], timeout=10_000)
    expect(page.locator("#import-report")).to_contain_text(words["rows"])
    expect(page.locator("#import-report")).to_contain_text(words["tiers"])
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name=words["go"]).click()
    drain(redis)
    expect(state).to_contain_text(words["done"], timeout=10_000)
    fits(page)
    page.goto(f"{server_url}/admin/shops/{offline_shopify_shop.id}/customers")
    expect(page.locator("#customers")).to_contain_text("ada@example.com")
    expect(page.locator("#customers")).to_contain_text("350")
