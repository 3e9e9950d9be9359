"""A friend opens a member's referral link in a real browser (Debian's Chromium): the offer, the e-mail
form, then the welcome code with a copy button; English and Turkish, 360 px and 1280 px, keyboard only,
and no serious or critical axe-core violation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses
from playwright.sync_api import Browser, expect, sync_playwright
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
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
def test_a_friend_gets_the_welcome_code_from_the_link(browser: Browser, link: str, width: int, lang: str) -> None:
    page = tab(browser, width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(link + ("?lang=tr" if lang == "tr" else ""))
    expect(page.locator("#offer")).to_contain_text("15% off" if lang == "en" else "%15 indirim")
    fits(page)
    no_serious_violations(page)
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(f"friend-{lang}-{width}@example.com")
    page.keyboard.press("Enter")
    code = page.locator("#welcome-code")
    expect(code).to_be_visible()
    expect(page.locator("h1")).to_have_text("Your welcome code" if lang == "en" else "Hoş geldin kodunuz")
    fits(page)
    no_serious_violations(page)
    page.get_by_role("button", name="Copy" if lang == "en" else "Kopyala").click()
    expect(page.get_by_role("button", name="Copied" if lang == "en" else "Kopyalandı")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == code.text_content().strip()
    page.context.close()
