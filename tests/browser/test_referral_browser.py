"""A friend opens a member's referral link in a real browser (Debian's Chromium): the offer, the e-mail
form, then the welcome code with a copy button; English and Turkish, 360 px and 1280 px, keyboard only,
and no serious or critical axe-core violation."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses
from playwright.sync_api import Browser, expect, sync_playwright
from redis import Redis

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from connector.outbox import mail
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.support import AUTH, drain, woo_headers

CHROMIUM = Path("/usr/bin/chromium")
API = "https://woo.example.com/wp-json/wc/v3"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def link(server_url: str, woo_shop: Shop, storage: Storage, redis: Redis) -> str:
    referrals = {"enabled": True, "friend_reward": {"kind": "percentage", "value": "15", "days": 30}}
    change_settings(storage, woo_shop.id, {"referrals": referrals, "sync_customers": False})
    body = json.dumps({"id": 25, "email": "anna@example.com", "first_name": "Anna", "last_name": "Smith"}).encode()
    posted = requests.post(
        f"{server_url}/webhooks/woocommerce/{woo_shop.id}", data=body, headers=woo_headers("customer.created", body)
    )
    assert posted.status_code == 200
    drain(redis)
    view = requests.get(f"{server_url}/admin/api/shops/{woo_shop.id}/customers/25", headers=AUTH, timeout=10).json()
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    return view["referral_url"].replace("http://127.0.0.1:8000", server_url)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_friend_asks_from_the_link_and_finds_the_welcome_code_in_their_inbox(
    browser: Browser, link: str, redis: Redis, config: Config, width: int, lang: str
) -> None:
    page = tab(browser, width)
    page.goto(link + ("?lang=tr" if lang == "tr" else ""))
    expect(page.locator("#offer")).to_contain_text("15% off" if lang == "en" else "%15 indirim")
    fits(page)
    no_serious_violations(page)
    for _ in range(7):  # past the six language links, to the address
        page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    friend = f"friend-{lang}-{width}@example.com"
    page.keyboard.type(friend)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Check your inbox" if lang == "en" else "Gelen kutunuza bakın")
    expect(page.get_by_role("status")).to_contain_text("new customers only" if lang == "en" else "yeni müşteriler")
    assert "SDK-" not in page.content()  # the code goes only to the inbox
    fits(page)
    no_serious_violations(page)
    drain(redis)
    [letter] = [m for m in mail.kept_messages(config, limit=1000) if friend in m.to]
    assert re.search(r"SDK-[A-Z2-7]{10}", letter.text)
    page.context.close()
