"""Every admin page in a real browser (Debian's Chromium), in English and Turkish, at 360 px and 1280 px:
nothing wider than the screen and no serious or critical axe-core violation."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests
import responses
from playwright.sync_api import Browser
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.customers import segments
from connector.ops.shops import change_settings
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_programme_browser import log_in
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import shoot
from tests.support import AUTH, drain, paid_shopify_order, shopify_headers

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"


@pytest.fixture
def busy_shop(server_url: str, offline_shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """A shop with an order, a failed event, a failed push, tiers, gifts and a roll-up."""
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": [{"name": "Gold", "min_spend": "100", "multiplier": "1.5"}],
                                       "gifts": [{"rule": "first_order", "value": "5"}]})  # fmt: skip
    for payload in (paid_shopify_order(), {"id": "broken", "line_items": "none"}):
        body = json.dumps(payload).encode()
        requests.post(f"{server_url}/webhooks/shopify", data=body, headers=shopify_headers(shop, "orders/paid", body))
    drain(redis)
    responses.post(GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval."})
    drain(redis)
    segments.roll_up(storage, shop.id)
    return shop


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_every_admin_page_fits_and_passes_axe(
    browser: Browser,  # noqa: F811
    server_url: str,
    busy_shop: Shop,
    lang: str,
    width: int,
) -> None:
    listed = requests.get(f"{server_url}/admin/api/shops/{busy_shop.id}/customers", headers=AUTH, timeout=10).json()
    assert listed["total"] == 1
    page = tab(browser, width)
    page.goto(f"{server_url}/admin/login")
    fits(page)
    no_serious_violations(page)
    log_in(page, server_url, lang)
    base = f"{server_url}/admin/shops/{busy_shop.id}"
    page.goto(f"{base}/customers")
    customer = page.locator("#customers tbody a").first.get_attribute("href")
    assert customer and re.fullmatch(rf"/admin/shops/{busy_shop.id}/customers/\d+", customer)
    for url in (f"{server_url}/admin/", base, f"{base}?days=90", f"{base}/programme", f"{base}/customers",
                server_url + customer, f"{base}/events", f"{base}/care", f"{base}/referrals",
                f"{server_url}/admin/mail"):  # fmt: skip
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == lang, url
        fits(page)
        no_serious_violations(page)
        if url in (f"{server_url}/admin/", base):
            shoot(page, f"admin-{'overview' if url.endswith('/admin/') else 'shop'}-{lang}-{width}")
    page.context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_api_docs_render_from_our_own_files_under_the_admin_policy(
    browser: Browser,  # noqa: F811
    server_url: str,
    width: int,
) -> None:
    """Swagger UI over /openapi.json (in English only: it describes the API's own names)."""
    page = tab(browser, width)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    log_in(page, server_url, "en")
    page.goto(f"{server_url}/admin/api/docs")
    page.get_by_text("/admin/api/shops/{shop_id}/customers/{ident}/adjustments").first.wait_for()
    assert page.locator(".opblock").count() >= 50
    assert refused == [] and hosts == {server_url.split("/")[2]}
    page.context.close()
