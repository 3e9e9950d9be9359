"""A store's customer in a real browser (Debian's Chromium): the hosted rewards page end to end (e-mail in, the
sign-in link read off a real SMTP server, balance, redeem, the code), the page inside a Shopify theme through
a signed app proxy request, and the launcher on a store's pages; English and Turkish, 360 px and 1280 px,
keyboard only where it matters, and no serious or critical axe-core violation."""

from __future__ import annotations

import json
import os
import re
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import responses
from playwright.sync_api import Browser, Page, Route, expect
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.support import MailInbox, drain, fixture, paid_shopify_order, proxy_query, shopify_headers, woo_headers

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WIDTHS = (360, 1280)
STORE = "http://store.example"  # http: the test server it loads the launcher from is http too
SADAKAT = "http://sadakat.example"  # where a merchant's site loads the launcher from (the test server)
OUR_HOST = "http://127.0.0.1:8000"  # the app's public address in the tests: sent on to the test server
SETTINGS = {
    "earn_rate": "60",
    "sync_customers": False,
    "tiers": [{"name": "Silver", "min_spend": "0"}, {"name": "Gold", "min_spend": "500", "multiplier": "1.5"}],
    "gifts": [{"rule": "birthday", "kind": "points", "value": "200"}],
    "referrals": {"enabled": True, "referrer_points": 300},
}
WORDS = {
    "en": {
        "send": "Send me a link",
        "enter": "Continue to my rewards",
        "redeem": "Redeem 500 points",
        "copy": "Copy",
        "see": "See my rewards",
    },
    "tr": {
        "send": "Bana bağlantı gönder",
        "enter": "Ödüllerime devam et",
        "redeem": "500 puanı",
        "copy": "Kopyala",
        "see": "Ödüllerimi gör",
    },
}


@pytest.fixture
def woo_member(server_url: str, woo_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """John Doe (customer 25, with an account) with 1,080 points at a WooCommerce store."""
    change_settings(storage, woo_shop.id, SETTINGS)
    body = json.dumps(fixture("woocommerce/order_created.json") | {"customer_id": 25}).encode()
    answer = requests.post(
        f"{server_url}/webhooks/woocommerce/{woo_shop.id}", data=body, headers=woo_headers("order.created", body)
    )
    assert answer.status_code == 200
    drain(redis)
    responses.get("https://woo.example.com/wp-json/wc/v3/coupons", json=[])
    responses.post("https://woo.example.com/wp-json/wc/v3/coupons", json={"id": 700}, status=201)
    return woo_shop


@pytest.fixture
def shopify_member(server_url: str, shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """John Smith with 1,012 points at a Shopify store."""
    change_settings(storage, shopify_shop.id, {"earn_rate": "2.5", "sync_customers": False})
    body = json.dumps(paid_shopify_order()).encode()
    answer = requests.post(
        f"{server_url}/webhooks/shopify", data=body, headers=shopify_headers(shopify_shop, "orders/paid", body)
    )
    assert answer.status_code == 200
    drain(redis)
    return shopify_shop


def shoot(page: Page, name: str) -> None:
    """With SADAKAT_SCREENSHOTS set to a folder, keep a picture of the page there (the docs' screenshots)."""
    folder = os.environ.get("SADAKAT_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def our_host_to(page: Page, server_url: str) -> None:
    page.route(f"{OUR_HOST}/**", lambda route: route.continue_(url=route.request.url.replace(OUR_HOST, server_url)))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_customers_first_ten_minutes_launcher_sign_in_redeem_copy_and_refer(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_member: Shop,
    redis: Redis,
    smtp: MailInbox,
    width: int,
    lang: str,
) -> None:
    """From the launcher on the store's page to the rewards page, signed in by e-mail, a redemption asked
    for and confirmed, the code copied, and the referral link shared and opened as a friend would."""
    page = tab(browser, width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    our_host_to(page, server_url)
    page.route(f"{SADAKAT}/**", lambda route: route.fulfill(response=page.request.fetch(
        route.request.url.replace(SADAKAT, server_url))))  # fmt: skip
    store_page(page, f'<script src="{SADAKAT}/rewards/{woo_member.handle}/launcher.js?lang={lang}"></script>')
    page.goto(f"{STORE}/")
    page.get_by_role("button", name="Rewards" if lang == "en" else "Ödüller").click()
    page.get_by_role("dialog").get_by_role("link", name=WORDS[lang]["see"]).click()
    page.wait_for_url(f"{OUR_HOST}/rewards/{woo_member.handle}?lang={lang}")
    expect(page.locator("#earn-title")).to_be_visible()
    shoot(page, f"rewards-join-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    page.locator("#email").focus()
    page.keyboard.type("john.doe@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_contain_text("john.doe@example.com")
    drain(redis)
    [sent] = smtp.messages
    text = message_from_bytes(sent.content, policy=policy.default).get_body(("plain",)).get_content()
    link = re.search(r"http\S+/enter\?t=\S+", text)
    assert link, text
    page.goto(link[0] + f"&lang={lang}")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name=WORDS[lang]["enter"]).click()
    thousand = "1,080" if lang == "en" else "1.080"
    expect(page.locator("#points")).to_have_text(thousand)
    expect(page.locator("#history")).to_contain_text(f"+{thousand}")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name=re.compile(WORDS[lang]["redeem"])).first.click()
    expect(page.locator("#confirm")).to_contain_text("500")  # asks before spending
    expect(page.locator("#points")).to_have_text(thousand)
    fits(page)
    no_serious_violations(page)
    page.locator("#confirm-redeem").click()
    code = page.locator("#new-code")
    expect(code).to_be_visible()
    expect(page.locator("#points")).to_have_text("580")
    expect(page.locator("#codes")).to_contain_text(code.text_content() or "-")
    shoot(page, f"rewards-member-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name=WORDS[lang]["copy"]).first.click()
    assert page.evaluate("navigator.clipboard.readText()") == (code.text_content() or "").strip()

    referral = (page.locator("#referral-link").text_content() or "").strip()
    assert re.fullmatch(rf"{OUR_HOST}/r/{woo_member.handle}/[\w-]+", referral), referral
    whatsapp = page.locator("#share").get_by_role("link", name="WhatsApp").get_attribute("href") or ""
    assert whatsapp.startswith("https://wa.me/?text=") and "%2Fr%2F" in whatsapp
    page.goto(f"{referral}?lang={lang}")  # as the friend who got the link opens it
    assert page.locator("html").get_attribute("lang") == lang
    shoot(page, f"referral-friend-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    page.context.close()


def theme_page(html: str) -> str:
    """What Shopify makes of a Liquid answer: the store's theme around it."""
    return f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Rewards · Store</title></head><body><header><a href="/">Store</a></header><main>{html}</main></body></html>'  # noqa: E501


def shopify_proxy(page: Page, server_url: str, shop: Shop, customer: str = "115310627314723954") -> None:
    """Play Shopify's part: /apps/sadakat/* on the store goes to /proxy/* signed, naming the logged-in customer
    (``""`` when no one is logged in); Liquid answers come back inside the theme, JSON as it is."""

    def forward(route: Route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        rest = parts.path.removeprefix("/apps/sadakat")
        query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        signed = proxy_query(shop, customer, **{k: v for k, v in query.items() if k == "lang"})
        answer = requests.request(
            request.method,
            f"{server_url}/proxy{rest}?{urlencode(signed)}",
            data=request.post_data_buffer,
            headers={"Content-Type": request.headers.get("content-type", "")},
            timeout=10,
        )
        liquid = answer.headers.get("Content-Type", "").startswith("application/liquid")
        route.fulfill(
            status=answer.status_code,
            body=theme_page(answer.content.decode()) if liquid else answer.content,
            content_type="text/html; charset=utf-8"
            if liquid
            else answer.headers.get("Content-Type", "application/json"),
        )

    page.route(f"{STORE}/apps/sadakat**", forward)
    our_host_to(page, server_url)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_rewards_page_inside_a_shopify_theme(
    browser: Browser,  # noqa: F811
    server_url: str,
    shopify_member: Shop,
    width: int,
    lang: str,
) -> None:
    page = tab(browser, width)
    shopify_proxy(page, server_url, shopify_member)
    page.goto(f"{STORE}/apps/sadakat?lang={lang}")
    expect(page.locator("#points")).to_have_text("1,012" if lang == "en" else "1.012")
    shoot(page, f"rewards-shopify-theme-{lang}-{width}")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name=re.compile(WORDS[lang]["redeem"])).first.click()
    page.locator("#confirm-redeem").click()
    expect(page.locator("#new-code")).to_be_visible()
    expect(page.locator("#points")).to_have_text("512")
    fits(page)
    page.context.close()


def store_page(page: Page, script: str) -> None:
    page.route(
        f"{STORE}/",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Store</title></head><body><main><h1>Store</h1><p>Welcome.</p></main>{script}</body></html>',  # noqa: E501
        ),
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_launcher_on_any_site_opens_closes_and_sets_no_cookie(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_member: Shop,
    width: int,
    lang: str,
) -> None:
    page = tab(browser, width)
    page.route(f"{SADAKAT}/**", lambda route: route.fulfill(response=page.request.fetch(
        route.request.url.replace(SADAKAT, server_url))))  # fmt: skip
    store_page(page, f'<script src="{SADAKAT}/rewards/{woo_member.handle}/launcher.js?lang={lang}"></script>')
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{STORE}/")
    button = page.get_by_role("button", name="Rewards" if lang == "en" else "Ödüller")
    expect(button).to_be_visible()
    page.keyboard.press("Tab")  # the only thing to focus on this page
    expect(button).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus shows
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("60")
    link = panel.get_by_role("link")
    expect(link).to_be_focused()
    shoot(page, f"launcher-{lang}-{width}")
    assert link.get_attribute("href") == f"{OUR_HOST}/rewards/{woo_member.handle}?lang={lang}"
    fits(page)
    no_serious_violations(page)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()
    assert page.context.cookies() == []
    assert {urlsplit(url).netloc for url in asked} == {"store.example", "sadakat.example"}
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_shopify_app_embed_shows_the_members_own_panel(
    browser: Browser,  # noqa: F811
    server_url: str,
    shopify_member: Shop,
    width: int,
) -> None:
    """Through the app proxy: the balance, redeeming with a confirmation, the code with Copy (it showed the
    balance only)."""
    page = tab(browser, width)
    shopify_proxy(page, server_url, shopify_member)
    asset = Path(__file__).resolve().parents[2] / "extensions" / "sadakat-rewards" / "assets" / "launcher.js"
    page.route(
        f"{STORE}/launcher.js", lambda route: route.fulfill(body=asset.read_text(), content_type="text/javascript")
    )
    store_page(
        page,
        '<script src="/launcher.js" defer data-page="/apps/sadakat" data-panel="/apps/sadakat/launcher" '
        'data-redeem="/apps/sadakat/redeem" data-login="/account/login" data-signup="/account/register" '
        'data-colour="#7c2d12" data-position="left" data-lang="tr" data-label="Ödüller" data-title="Ödüller" '
        'data-see="Ödüllerimi gör" data-close="Kapat" data-points="{points} puanınız var" '
        'data-signin="Giriş yapın" data-join="Hesap oluşturun"></script>',
    )
    page.goto(f"{STORE}/")
    page.get_by_role("button", name="Ödüller").click()
    panel = page.get_by_role("dialog")
    expect(panel.locator("#sadakat-panel-points")).to_have_text("1.012 puanınız var")
    fits(page)
    no_serious_violations(page)
    panel.get_by_role("button", name="500 puan → $5,00").click()
    expect(panel.locator("#sadakat-panel-confirm")).to_have_text("$5,00 için 500 puan harcansın mı?")
    panel.get_by_role("button", name="Evet, kullan").click()
    expect(panel.locator("#sadakat-panel-points")).to_have_text("512 puanınız var")
    expect(panel.locator("#sadakat-panel-codes li")).to_have_count(1)
    expect(panel.locator("#sadakat-panel-codes").get_by_role("button", name="Kopyala")).to_be_visible()
    shoot(page, f"launcher-shopify-tr-{width}")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name="Kapat").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.context.close()
