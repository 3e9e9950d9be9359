"""The launcher on a store's own (non-Shopify) site in a real browser (Debian's Chromium): a customer the site
signs sees their own panel (balance, tier bar, redeem with a confirmation, codes with Copy, the referral link
with share buttons) and a visitor a way to join; English and Turkish, 360 px and 1280 px, no cookie, and no
serious or critical axe-core violation."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, Route, expect
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.rewards import sign_in
from connector.ops.shops import change_settings
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import (
    OUR_HOST,
    SADAKAT,
    STORE,
    WIDTHS,
    shoot,
    shopify_proxy,
    store_page,
)
from tests.support import drain, fixture, woo_headers

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
SETTINGS = {
    "earn_rate": "60",
    "sync_customers": False,
    "tiers": [{"name": "Silver", "min_spend": "0"}, {"name": "Gold", "min_spend": "500", "multiplier": "1.5"}],
    "referrals": {"enabled": True, "referrer_points": 300},
    "signup_url": "https://woo.example.com/my-account/",
}
WORDS = {
    "en": {"button": "Rewards", "points": "You have 1,080 points", "option": "500 points → $5.00",
           "confirm": "Spend 500 points for $5.00?", "yes": "Yes, redeem", "copy": "Copy", "copied": "Copied",
           "left": "You have 580 points", "join": "Join now"},
    "tr": {"button": "Ödüller", "points": "1.080 puanınız var", "option": "500 puan → $5,00",
           "confirm": "$5,00 için 500 puan harcansın mı?", "yes": "Evet, kullan", "copy": "Kopyala",
           "copied": "Kopyalandı", "left": "580 puanınız var", "join": "Hemen katılın"},
}  # fmt: skip


@pytest.fixture
def woo_account(server_url: str, woo_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """John Doe, customer 25 with an account, with 1,080 points at a WooCommerce store."""
    change_settings(storage, woo_shop.id, SETTINGS)
    order = fixture("woocommerce/order_created.json") | {"customer_id": 25}
    body = json.dumps(order).encode()
    answer = requests.post(
        f"{server_url}/webhooks/woocommerce/{woo_shop.id}", data=body, headers=woo_headers("order.created", body)
    )
    assert answer.status_code == 200
    drain(redis)
    return woo_shop


def signed_script(shop: Shop, storage: Storage, lang: str) -> str:
    """The script tag as the site's few lines of PHP write it for the signed-in customer 25."""
    with storage.session() as session:
        key = session.get(Shop, shop.id).customer_api_key  # type: ignore[union-attr]
    at = str(int(time.time()))
    sig = sign_in.store_signature(key, shop.id, "25", at)
    return (
        f'<script src="{SADAKAT}/rewards/{shop.handle}/launcher.js?lang={lang}" '
        f'data-customer="25" data-ts="{at}" data-sig="{sig}"></script>'
    )


def through_to(page: Page, server_url: str) -> None:
    """The site's page loads the launcher from Sadakat's host, which the launcher then calls (fulfilled by the
    test server: the app's public address in the tests is a loopback one, which Chromium keeps public pages
    from calling)."""

    def to_server(host: str) -> Callable[[Route], None]:
        def fulfil(route: Route) -> None:
            asked = route.request
            answer = page.request.fetch(
                asked.url.replace(host, server_url),
                method=asked.method,
                headers=asked.headers,
                data=asked.post_data_buffer,
            )
            route.fulfill(response=answer)

        return fulfil

    for host in (SADAKAT, OUR_HOST):
        page.route(f"{host}/**", to_server(host))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_signed_in_customer_redeems_copies_and_shares_from_the_launcher(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_account: Shop,
    storage: Storage,
    width: int,
    lang: str,
) -> None:
    w = WORDS[lang]
    page = tab(browser, width)
    through_to(page, server_url)
    store_page(page, signed_script(woo_account, storage, lang))
    page.goto(f"{STORE}/")
    page.get_by_role("button", name=w["button"]).click()
    panel = page.get_by_role("dialog")
    expect(panel.locator("#sadakat-panel-points")).to_have_text(w["points"])
    expect(panel.get_by_role("progressbar")).to_have_attribute("aria-valuenow", re.compile(r"^\d+$"))
    referral = panel.locator("#sadakat-panel-referral")
    expect(referral).to_have_value(re.compile(rf"/r/{woo_account.handle}/[\w-]+$"))
    whatsapp = panel.get_by_role("link", name="WhatsApp")
    assert whatsapp.get_attribute("href").startswith("https://wa.me/?text=")  # type: ignore[union-attr]
    assert "%2Fr%2F" in whatsapp.get_attribute("href")  # type: ignore[operator]
    fits(page)
    no_serious_violations(page)

    panel.get_by_role("button", name=w["option"]).click()  # nothing is spent before the customer says yes
    expect(panel.locator("#sadakat-panel-confirm")).to_have_text(w["confirm"])
    expect(panel.locator("#sadakat-panel-points")).to_have_text(w["points"])
    panel.get_by_role("button", name=w["yes"]).click()
    expect(panel.locator("#sadakat-panel-points")).to_have_text(w["left"])
    codes = panel.locator("#sadakat-panel-codes li")
    expect(codes).to_have_count(1)
    code = codes.locator("strong").inner_text()
    expect(panel.get_by_role("status")).to_contain_text(code)
    codes.get_by_role("button", name=w["copy"]).click()
    expect(codes.get_by_role("button", name=w["copied"])).to_be_visible()
    shoot(page, f"launcher-member-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    assert page.context.cookies() == []
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_visitor_finds_how_to_join_in_the_launcher(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_account: Shop,
    width: int,
) -> None:
    page = tab(browser, width)
    through_to(page, server_url)
    store_page(page, f'<script src="{SADAKAT}/rewards/{woo_account.handle}/launcher.js?lang=tr"></script>')
    page.goto(f"{STORE}/")
    page.get_by_role("button", name="Ödüller").click()
    join = page.get_by_role("dialog").get_by_role("link", name=WORDS["tr"]["join"])
    assert join.get_attribute("href") == "https://woo.example.com/my-account/"
    assert page.get_by_role("dialog").get_by_role("link", name="Ödüllerimi gör").get_attribute("href") == (
        f"{OUR_HOST}/rewards/{woo_account.handle}?lang=tr"
    )
    fits(page)
    no_serious_violations(page)
    page.context.close()


def test_a_logged_out_shopify_visitor_is_offered_to_log_in_or_open_an_account(
    browser: Browser,  # noqa: F811
    server_url: str,
    shopify_shop: Shop,
) -> None:
    page = tab(browser, 360)
    shopify_proxy(page, server_url, shopify_shop, customer="")
    asset = Path(__file__).resolve().parents[2] / "extensions" / "sadakat-rewards" / "assets" / "launcher.js"
    page.route(
        f"{STORE}/launcher.js", lambda route: route.fulfill(body=asset.read_text(), content_type="text/javascript")
    )
    store_page(
        page,
        '<script src="/launcher.js" defer data-page="/apps/sadakat" data-panel="/apps/sadakat/launcher" '
        'data-login="/account/login" data-signup="/account/register" data-lang="tr" data-label="Ödüller" '
        'data-title="Ödüller" data-see="Ödüllerimi gör" data-close="Kapat" data-points="{points} puanınız var" '
        'data-signin="Puanlarınızı görmek için giriş yapın" data-join="Hesap oluşturun"></script>',
    )
    page.goto(f"{STORE}/")
    page.get_by_role("button", name="Ödüller").click()
    panel = page.get_by_role("dialog")
    login = panel.get_by_role("link", name="Puanlarınızı görmek için giriş yapın")
    expect(login).to_have_attribute("href", "/account/login")
    expect(panel.get_by_role("link", name="Hesap oluşturun")).to_have_attribute("href", "/account/register")
    fits(page)
    no_serious_violations(page)
    page.context.close()
