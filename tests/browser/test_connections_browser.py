"""A merchant connects their own endpoint and Klaviyo from the shop page, in Chromium, in English and Turkish,
on a phone and a desktop: adds a URL (its secret shown once), sees the signed deliveries in the log, sends
a test event and one delivery again, turns Klaviyo on with a key Klaviyo accepts, and removes the URL."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
import requests
import responses
from flask import Flask
from playwright.sync_api import Browser, expect
from redis import Redis
from standardwebhooks import Webhook

from connector.db.tables import Shop, utcnow
from tests.browser.test_after_delivery_browser import fits, no_serious_violations, tab
from tests.browser.test_programme_browser import log_in
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.endpoint import webhook_endpoint
from tests.support import drain, paid_shopify_order, shopify_headers

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists() and not os.environ.get("SADAKAT_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it when it may use apt)",
)
WORDS = {
    "en": {
        "link": "Webhooks and Klaviyo", "add": "Add an endpoint", "earned": "points earned", "done": "done",
        "test": "Send a test event", "again": "Send again", "key": "Private API key", "on": "Turn Klaviyo on",
        "is_on": "Klaviyo is on", "remove": "Remove", "none": "No endpoints yet",
        "refused": "The address must start with https://.", "test_sent": "Test event on its way",
    },
    "tr": {
        "link": "Webhook'lar ve Klaviyo", "add": "Adres ekle", "earned": "kazanılan puan", "done": "tamam",
        "test": "Deneme olayı gönder", "again": "Yeniden gönder", "key": "Özel API anahtarı", "on": "Klaviyo'yu aç",
        "is_on": "Klaviyo açık", "remove": "Çıkar", "none": "Henüz adres yok",
        "refused": "Adres https:// ile başlamalı.", "test_sent": "Deneme olayı yolda",
    },
}  # fmt: skip


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_merchant_connects_an_endpoint_and_klaviyo(
    browser: Browser,  # noqa: F811
    server_url: str,
    app: Flask,
    offline_shopify_shop: Shop,
    redis: Redis,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    width: int,
) -> None:
    words = WORDS[lang]
    monkeypatch.setenv("SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES", "1")  # the endpoint is on this machine
    running = app.extensions["sadakat"]
    running.config = dataclasses.replace(running.config, allow_private_store_addresses=True)
    page = tab(browser, width)
    log_in(page, server_url, lang)
    page.goto(f"{server_url}/admin/shops/{offline_shopify_shop.id}")
    page.get_by_role("link", name=words["link"]).click()
    expect(page.locator("#no-endpoints")).to_contain_text(words["none"])
    fits(page)
    no_serious_violations(page)

    with webhook_endpoint() as endpoint:
        page.fill("input[name=url]", "ftp://example.com/hooks")  # the browser lets it through: it is a URL
        page.get_by_role("button", name=words["add"]).click()
        expect(page.get_by_role("alert")).to_contain_text(words["refused"])
        page.fill("input[name=url]", endpoint.url)
        page.get_by_label(words["earned"]).check()
        page.get_by_role("button", name=words["add"]).click()
        secret = page.locator("#new-secret").inner_text()
        assert secret.startswith("whsec_")
        fits(page)

        body = json.dumps(paid_shopify_order(created_at=utcnow().isoformat())).encode()
        headers = shopify_headers(offline_shopify_shop, "orders/paid", body)
        assert (
            requests.post(f"{server_url}/webhooks/shopify", data=body, headers=headers, timeout=10).status_code == 200
        )
        drain(redis)
        [delivery] = [Webhook(secret).verify(got.body, got.headers) for got in endpoint.received]
        assert delivery["type"] == "points.earned"

        page.goto(f"{server_url}/admin/shops/{offline_shopify_shop.id}/connections")
        page.locator("details summary").click()
        row = page.locator("#endpoint-1 tbody tr").first
        expect(row).to_contain_text(words["earned"])
        expect(row).to_contain_text(words["done"])
        fits(page)
        no_serious_violations(page)

        page.get_by_role("button", name=words["test"]).click()
        expect(page.locator("main")).to_contain_text(words["test_sent"])
        drain(redis)
        assert json.loads(endpoint.received[-1].body)["type"] == "sadakat.test"
        page.locator("details summary").click()
        page.locator("#endpoint-1 tbody tr").last.get_by_role("button", name=words["again"]).click()
        drain(redis)
        assert endpoint.received[-1].headers["webhook-id"] == endpoint.received[0].headers["webhook-id"]

    responses.add(responses.GET, "https://a.klaviyo.com/api/accounts", json={"data": []}, status=200)
    page.fill("input[name=private_api_key]", "pk_live_0123456789")
    page.get_by_role("button", name=words["on"]).click()
    expect(page.locator("#klaviyo-state")).to_contain_text(words["is_on"])
    assert page.locator("input[name=private_api_key]").input_value() == ""  # never shown again
    fits(page)
    no_serious_violations(page)

    page.locator("#endpoint-1").get_by_role("button", name=words["remove"]).click()
    expect(page.locator("#no-endpoints")).to_contain_text(words["none"])
    page.context.close()
