"""A shop's owner signs in by an e-mailed link (read off a real SMTP server), sees only their shop, invites a
support person, who signs in and can't open the programme editor: in Chromium, English and Turkish, on a
phone and a desktop."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import Browser, Page, expect
from redis import Redis

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.merchants import people
from connector.ops.shops import register_shop
from tests.browser.test_after_delivery_browser import fits, no_serious_violations
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.support import WOO_SECRET, MailInbox, drain

WORDS = {
    "en": {
        "send": "E-mail me a sign-in link",
        "sent": "a sign-in link is on its way",
        "enter": "Sign in now",
        "people": "People",
        "add": "Add a person",
        "support": "support",
        "added": "can now sign in as support",
        "refused": "Your role at this shop (support) can't do this",
    },
    "tr": {
        "send": "Giriş bağlantısını gönder",
        "sent": "giriş bağlantısı yolda",
        "enter": "Şimdi giriş yap",
        "people": "Kişiler",
        "add": "Kişi ekle",
        "support": "destek",
        "added": "artık destek olarak giriş yapabilir",
        "refused": "Bu mağazadaki rolünüz (destek) bunu yapamaz",
    },
}


def _tab(browser: Browser, width: int, lang: str) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="tr-TR" if lang == "tr" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page: Page, server_url: str, email: str, lang: str, smtp: MailInbox, redis: Redis) -> None:
    page.goto(f"{server_url}/admin/sign-in")
    fits(page)
    no_serious_violations(page)
    page.fill("input[name=email]", email)
    page.get_by_role("button", name=WORDS[lang]["send"]).click()
    expect(page.get_by_role("status")).to_contain_text(WORDS[lang]["sent"])
    drain(redis)  # the job that sends the link
    sent = [m for m in smtp.messages if email in m.rcpt_tos][-1]
    text = message_from_bytes(sent.content, policy=policy.default).get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/admin/sign-in/\S+)", text)  # the public URL's host: ours is the test's
    assert link, text
    page.goto(server_url + link[1])
    no_serious_violations(page)
    page.get_by_role("button", name=WORDS[lang]["enter"]).click()


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("tr", 360)])
def test_a_merchant_signs_in_by_email_and_invites_support_staff(
    server_url: str,
    browser: Browser,  # noqa: F811
    storage: Storage,
    config: Config,
    redis: Redis,
    smtp: MailInbox,
    lang: str,
    width: int,
) -> None:
    credentials = {"consumer_key": "ck", "consumer_secret": "cs"}
    mine = register_shop(storage, config, "woocommerce", "https://zeytin.example.com", credentials, WOO_SECRET)
    other: Shop = register_shop(storage, config, "woocommerce", "https://other.example.com", credentials, WOO_SECRET)
    people.add_person(storage, mine.id, "ana@zeytin.example.com", "owner", "test", None)

    owner = _tab(browser, width, lang)
    _sign_in(owner, server_url, "ana@zeytin.example.com", lang, smtp, redis)
    owner.wait_for_url(f"{server_url}/admin/shops/{mine.id}")  # their only shop, straight away
    expect(owner.locator("h1")).to_contain_text("zeytin.example.com")
    assert "other.example.com" not in owner.content()
    fits(owner)
    no_serious_violations(owner)
    assert owner.goto(f"{server_url}/admin/shops/{other.id}").status == 404  # another shop isn't there at all
    owner.goto(f"{server_url}/admin/shops/{mine.id}")
    owner.get_by_role("link", name=WORDS[lang]["people"]).click()
    owner.fill("input[type=email][name=email]", "sam@zeytin.example.com")
    owner.check("input[name=role][value=support]")
    owner.get_by_role("button", name=WORDS[lang]["add"]).click()
    expect(owner.locator(".notice")).to_contain_text(WORDS[lang]["added"])
    expect(owner.locator("#people")).to_contain_text("sam@zeytin.example.com")
    fits(owner)
    no_serious_violations(owner)

    sam = _tab(browser, width, lang)
    _sign_in(sam, server_url, "sam@zeytin.example.com", lang, smtp, redis)
    sam.wait_for_url(f"{server_url}/admin/shops/{mine.id}")
    answer = sam.goto(f"{server_url}/admin/shops/{mine.id}/programme")
    assert answer is not None and answer.status == 403
    expect(sam.locator("body")).to_contain_text(WORDS[lang]["refused"])
