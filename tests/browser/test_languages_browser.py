"""A customer in each of the six customer languages, in real Chromium at 360 px: the rewards page, the launcher's
panel and an e-mail are in their language (Arabic right to left), money and numbers written their way, no
element wider than the window, and no serious or critical axe-core violation. The member's language comes
from their store (WPML's order meta), and their e-mail follows it even when the page is read in English."""

from __future__ import annotations

import json
import os
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.language import formats
from connector.ops.rewards import sign_in
from connector.ops.shops import change_settings
from tests.browser.test_after_delivery_browser import no_serious_violations, tab
from tests.browser.test_launcher_browser import signed_script, through_to
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.browser.test_rewards_browser import STORE, store_page
from tests.support import MailInbox, drain, fixture, woo_headers

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
LANGS = ("en", "tr", "de", "fr", "es", "ar")
SETTINGS = {
    "earn_rate": "60",
    "sync_customers": False,
    "tiers": [{"name": "Silver", "min_spend": "0"}, {"name": "Gold", "min_spend": "500", "multiplier": "1.5"}],
    "referrals": {"enabled": True, "referrer_points": 300},
}
WORDS = {
    "en": {"hello": "Hello John", "points": "You have {n} points", "button": "Rewards", "mail": "Here is your link"},
    "tr": {"hello": "Merhaba John", "points": "{n} puanınız var", "button": "Ödüller", "mail": "bağlantınız burada"},
    "de": {"hello": "Hallo John", "points": "Sie haben {n} Punkte", "button": "Prämien", "mail": "Hier ist Ihr Link"},
    "fr": {"hello": "Bonjour John", "points": "Vous avez {n} points", "button": "Récompenses",
           "mail": "Voici votre lien"},
    "es": {"hello": "Hola, John", "points": "Tienes {n} puntos", "button": "Recompensas",
           "mail": "Aquí tienes tu enlace"},
    "ar": {"hello": "مرحبًا John", "points": "لديك {n} نقطة", "button": "المكافآت", "mail": "إليك رابطك"},
}  # fmt: skip
SHOTS = os.environ.get("SADAKAT_SCREENSHOTS")


def member_in(server_url: str, shop: Shop, redis: Redis, lang: str) -> None:
    """John Doe, customer 25, whose order the store placed in ``lang`` (WPML's meta): 1,080 points."""
    order = fixture("woocommerce/order_created.json") | {"customer_id": 25}
    order["meta_data"] = [*order.get("meta_data", []), {"id": 9, "key": "wpml_language", "value": lang}]
    body = json.dumps(order).encode()
    answer = requests.post(
        f"{server_url}/webhooks/woocommerce/{shop.id}", data=body, headers=woo_headers("order.created", body)
    )
    assert answer.status_code == 200
    drain(redis)


def looked_at(page: Page, lang: str, name: str, tmp_path: Path, where: str = "html") -> None:
    """The page as a reader sees it: ``where`` in the language and its direction, a screenshot no wider than
    the window, no element sticking out sideways, and nothing serious for axe-core."""
    said = page.eval_on_selector(where, "e => [e.closest('[lang]').lang, getComputedStyle(e).direction]")
    assert said == [lang, "rtl" if lang == "ar" else "ltr"], said
    shot = Path(SHOTS or tmp_path) / f"{name}-{lang}-360.png"
    page.screenshot(path=str(shot), full_page=True)
    assert int.from_bytes(shot.read_bytes()[16:20], "big") == 360, "the screenshot is wider than the phone"
    wider = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter((e) => {
             const box = e.getBoundingClientRect();
             return box.width > 0 && box.height > 0 && (box.right > innerWidth + 1 || box.left < -1);
           }).map((e) => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').slice(0, 40))"""
    )
    assert wider == [], f"wider than the window: {wider}"
    no_serious_violations(page)


@pytest.mark.parametrize("lang", LANGS)
def test_the_rewards_page_speaks_the_customers_language(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_shop: Shop,
    storage: Storage,
    redis: Redis,
    lang: str,
    tmp_path: Path,
) -> None:
    change_settings(storage, woo_shop.id, SETTINGS)
    member_in(server_url, woo_shop, redis, lang)
    with storage.session() as session:
        key = session.get(Shop, woo_shop.id).customer_api_key  # type: ignore[union-attr]
    at = str(int(time.time()))
    sig = sign_in.store_signature(key, woo_shop.id, "25", at)
    page = tab(browser, 360)
    # No ?lang= and an English browser: the language the store knows John in decides.
    page.goto(f"{server_url}/rewards/{woo_shop.handle}?customer=25&ts={at}&sig={sig}")
    expect(page.locator("#balance-title")).to_have_text(WORDS[lang]["hello"])
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    points = page.locator(".balance .points").first.inner_text()
    assert points.strip().startswith(formats.number(1080, lang) + " "), points
    current = page.locator(".langs a[aria-current]")
    expect(current).to_have_attribute("hreflang", lang)
    expect(page.locator(".langs a")).to_have_count(6)
    looked_at(page, lang, "rewards-page", tmp_path)
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_launcher_panel_speaks_the_customers_language(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_shop: Shop,
    storage: Storage,
    redis: Redis,
    lang: str,
    tmp_path: Path,
) -> None:
    change_settings(storage, woo_shop.id, SETTINGS)
    member_in(server_url, woo_shop, redis, lang)
    page = tab(browser, 360)
    through_to(page, server_url)
    store_page(page, signed_script(woo_shop, storage, lang))
    page.goto(f"{STORE}/")
    page.get_by_role("button", name=WORDS[lang]["button"]).click()
    panel = page.get_by_role("dialog")
    expect(panel.locator("#sadakat-panel-points")).to_have_text(
        WORDS[lang]["points"].format(n=formats.number(1080, lang))
    )
    assert panel.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    looked_at(page, lang, "launcher-panel", tmp_path, where="#sadakat-panel")
    page.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_an_email_goes_in_the_members_language_whatever_the_page_was_read_in(
    browser: Browser,  # noqa: F811
    server_url: str,
    woo_shop: Shop,
    storage: Storage,
    redis: Redis,
    smtp: MailInbox,
    lang: str,
    tmp_path: Path,
) -> None:
    change_settings(storage, woo_shop.id, SETTINGS)
    member_in(server_url, woo_shop, redis, lang)
    page = tab(browser, 360)
    page.goto(f"{server_url}/rewards/{woo_shop.handle}?lang=en")  # the page in English
    page.locator("#email").fill("john.doe@example.com")
    page.locator("#email").press("Enter")
    expect(page.locator("#notice")).to_contain_text("john.doe@example.com")
    drain(redis)
    letters = [message_from_bytes(sent.content, policy=policy.default) for sent in smtp.messages]
    [message] = [m for m in letters if "/enter?t=" in m.get_body(("plain",)).get_content()]
    assert WORDS[lang]["mail"] in message.get_body(("plain",)).get_content()
    page.set_content(message.get_body(("html",)).get_content())
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    looked_at(page, lang, "email-sign-in", tmp_path)
    page.context.close()
