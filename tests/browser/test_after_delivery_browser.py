"""After delivery in a real browser (Debian's Chromium): the survey page a customer opens from the e-mail
(read from the local mailbox, as a newcomer would without a mail server) and the care queue an admin
works from; English and Turkish, 360 px and 1280 px, and no serious or critical axe-core violation."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright
from redis import Redis
from sqlalchemy import update

from connector.config import Config
from connector.db.after_delivery import SurveyRecord
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.ops.after_delivery.surveys import send_due
from connector.ops.shops import change_settings
from connector.outbox import mail
from connector.queue.connection import event_queue
from tests.support import ADMIN_PASSWORD, drain, fixture, sign, woo_headers

CHROMIUM = Path("/usr/bin/chromium")
API = "https://woo.example.com/wp-json/wc/v3"
NUMBER = "1z827wk74630"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WIDTHS = (360, 1280)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


def tab(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def no_serious_violations(page: Page) -> None:
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def fits(page: Page) -> None:
    """Nothing on the page is wider than the window (no sideways scrolling on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def post_woo(server_url: str, shop: Shop, topic: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    answer = requests.post(f"{server_url}/webhooks/woocommerce/{shop.id}", data=body, headers=woo_headers(topic, body))
    assert answer.status_code == 200, answer.text


def carrier(server_url: str, shop: Shop, status: str) -> None:
    body = json.dumps({"tracking_number": NUMBER, "status": status, "happened_at": "2026-11-20T10:00:00Z"}).encode()
    headers = {"X-Sadakat-Signature": sign(body, shop.carrier_secret or "")}
    assert requests.post(f"{server_url}/webhooks/carrier/{shop.id}", data=body, headers=headers).status_code == 200


@pytest.fixture
def surveyed(server_url: str, woo_shop: Shop, storage: Storage, redis: Redis, config: Config) -> str:
    """A delivered WooCommerce order whose survey went out to the local mailbox; returns the e-mail's text."""
    change_settings(storage, woo_shop.id, {"survey": {"enabled": True, "delay_days": 7, "points": 50}})
    order = fixture("woocommerce/order_created.json")
    item = {"tracking_provider": "", "custom_tracking_provider": "Aras Kargo", "custom_tracking_link": "",
            "tracking_number": NUMBER, "date_shipped": "1763600000", "tracking_id": "a1"}  # fmt: skip
    order["meta_data"] = [*order["meta_data"], {"id": 9, "key": "_wc_shipment_tracking_items", "value": [item]}]
    post_woo(server_url, woo_shop, "order.updated", order)
    drain(redis)
    responses.post(f"{API}/orders/727/notes", json={"id": 31, "customer_note": True}, status=201)
    carrier(server_url, woo_shop, "delivered")
    drain(redis)
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    here = dataclasses.replace(config, public_url=server_url, smtp_url=None)
    [sent] = send_due(storage, event_queue(redis), here)
    drain(redis)
    kept = next(m for m in mail.kept_messages(config) if m.to == "john.doe@example.com" and server_url in m.text)
    assert sent.to == "john.doe@example.com"
    return kept.text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_survey_page_records_the_click_takes_a_comment_and_is_accessible(
    browser: Browser, surveyed: str, width: int, lang: str
) -> None:
    links = dict(re.findall(r"(\d+): (http://\S+)", surveyed))
    page = tab(browser, width)
    page.goto(links["4"] + ("&lang=tr" if lang == "tr" else ""))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#message")).to_have_text(
        "You chose 4 out of 10. Send it to count it."
        if lang == "en"
        else "10 üzerinden 4 seçtiniz. Sayılması için gönderin."
    )
    fits(page)
    no_serious_violations(page)
    page.get_by_label("Anything you'd like to tell us?" if lang == "en" else "Bize iletmek istediğiniz").fill(
        "Kutu ezik geldi <b>!</b>"
    )
    page.keyboard.press("Tab")
    expect(page.locator("button[type=submit]")).to_be_focused()
    expect(page.locator("button[type=submit]")).to_have_text("Send my answer" if lang == "en" else "Yanıtımı gönder")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text(
        "You answered 4 out of 10." if lang == "en" else "Yanıtınız: 10 üzerinden 4."
    )
    expect(page.locator("#points")).to_be_visible()
    fits(page)
    no_serious_violations(page)
    page.goto(links["9"] + ("&lang=tr" if lang == "tr" else ""))
    expect(page.locator("#comment")).to_have_text("Kutu ezik geldi <b>!</b>")  # kept, and shown as text
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_works_the_care_queue_in_english_and_turkish(
    browser: Browser, surveyed: str, server_url: str, woo_shop: Shop, width: int
) -> None:
    links = dict(re.findall(r"(\d+): (http://\S+)", surveyed))
    shown = requests.get(links["1"], timeout=10).text  # an unhappy answer, sent with the page's button
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', shown)[1])  # type: ignore[index]
    token = html.unescape(re.search(r'name="t" value="([^"]+)"', shown)[1])  # type: ignore[index]
    assert requests.post(server_url + action, data={"t": token}, timeout=10).status_code == 200
    page = tab(browser, width)
    page.goto(f"{server_url}/admin/")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit] >> text=Log in")
    page.wait_for_url(f"{server_url}/admin/")
    page.goto(f"{server_url}/admin/shops/{woo_shop.id}/care")
    item = page.locator(".care-item").first
    expect(item.locator("h2")).to_have_text("An unhappy survey answer")
    expect(item.locator(".score")).to_have_text("1/10")
    fits(page)
    no_serious_violations(page)
    item.get_by_label("Note").fill("Called the customer")
    item.get_by_role("button", name="Add note").click()
    expect(page.locator(".notice")).to_have_text("Note added.")
    expect(page.locator(".care-item .history")).to_contain_text("Called the customer")
    page.get_by_role("button", name="Türkçe").click()
    expect(page.locator(".care-item h2").first).to_have_text("Memnun olmayan bir anket yanıtı")
    no_serious_violations(page)
    page.get_by_role("button", name="Çözüldü olarak işaretle").click()
    expect(page.locator("#care-empty")).to_have_text("Şu anda ilgilenilmesi gereken bir şey yok.")
    page.goto(f"{server_url}/admin/mail")
    expect(page.locator("#mail")).to_contain_text("john.doe@example.com")
    no_serious_violations(page)
    page.context.close()
