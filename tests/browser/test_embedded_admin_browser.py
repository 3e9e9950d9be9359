"""Sadakat inside Shopify's admin, in Chromium: a test page standing for admin.shopify.com frames the app, whose
pages load and navigate with session tokens from App Bridge (a stand-in for Shopify's script, served in its
place: the test has no internet) and no cookie; a page on another origin can't frame it. English and Turkish,
on a phone and a desktop."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Route, expect

from connector.db.tables import Shop
from tests.browser.test_after_delivery_browser import no_serious_violations
from tests.browser.test_referral_browser import browser  # noqa: F401  (the fixture)
from tests.connector.web.test_embedded_admin import SHOP, staff

APP = "https://sadakat.test"
WORDS = {"en": "Edit the programme", "tr": "Programı düzenle"}


def _serve(server_url: str):  # type: ignore[no-untyped-def]
    """Requests to the app's public address answered by the test's server, headers (CSP) and all."""

    def handle(route: Route) -> None:
        parts = urlsplit(route.request.url)
        answer = requests.request(
            route.request.method,
            f"{server_url}{parts.path}" + (f"?{parts.query}" if parts.query else ""),
            headers={k: v for k, v in route.request.headers.items() if k.lower() != "host"},
            data=route.request.post_data_buffer,
            allow_redirects=False,
            timeout=10,
        )
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        if "location" in {k.lower() for k in headers}:
            headers["Location"] = APP + urlsplit(answer.headers["Location"]).path
        route.fulfill(status=answer.status_code, headers=headers, body=answer.content)

    return handle


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("tr", 360)])
def test_the_app_opens_inside_shopifys_admin_and_nowhere_else(
    server_url: str,
    browser: Browser,  # noqa: F811
    offline_shopify_shop: Shop,
    lang: str,
    width: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="tr-TR" if lang == "tr" else "en-GB")
    app_bridge = f"window.shopify = {{idToken: async () => {staff()!r}}};"  # Shopify's script gives fresh tokens
    context.route(
        "https://cdn.shopify.com/shopifycloud/app-bridge.js",
        lambda r: r.fulfill(body=app_bridge, content_type="text/javascript"),
    )
    context.route(f"{APP}/**", _serve(server_url))
    entry = f"{APP}/shopify/admin?" + urlencode({"shop": SHOP, "host": "YWRtaW4", "id_token": staff()})
    frame_page = (
        f'<!doctype html><html lang="{lang}"><title>Shopify</title>'
        f'<iframe title="Sadakat" src="{entry}" width="100%" height="800"></iframe></html>'
    )
    context.route("https://admin.shopify.com/**", lambda r: r.fulfill(body=frame_page, content_type="text/html"))
    context.route("https://elsewhere.example/**", lambda r: r.fulfill(body=frame_page, content_type="text/html"))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("https://admin.shopify.com/store/sadakat-test/apps/sadakat")
    app = page.frame_locator("iframe")
    expect(app.locator("main#embedded h1")).to_contain_text(SHOP)
    app.get_by_role("link", name=WORDS[lang]).click()
    expect(app.locator("form.programme")).to_be_visible()
    assert context.cookies(APP) == []  # every request carried a session token, none a cookie
    no_serious_violations(page)

    page.goto("https://elsewhere.example/")  # the same app, framed by anyone else
    expect(page.frame_locator("iframe").locator("main#embedded")).to_have_count(0)
    context.close()
