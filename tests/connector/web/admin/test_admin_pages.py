"""The admin pages as an admin meets them: logging in, the overview, a shop's page, fixing failures."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from connector import create_app
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from tests.support import drain, form_csrf, login, paid_shopify_order, post_shopify, worker_and_scheduler_registered

JOHN = "115310627314723954"


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """A browser logged in to the admin pages."""
    assert login(client).status_code == 302
    return client


@pytest.fixture
def member(client: FlaskClient, offline_shopify_shop: Shop, redis: Redis) -> Shop:
    """A shop with one paid order from John Smith (404 points)."""
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    return offline_shopify_shop


def test_the_admin_logs_in_and_sees_the_overview(client: FlaskClient, member: Shop) -> None:
    first = client.get("/admin/")
    assert (first.status_code, first.headers["Location"]) == (302, "/admin/login?next=/admin/")
    answer = login(client)
    assert (answer.status_code, answer.headers["Location"]) == (302, "/admin/")
    page = client.get("/admin/")
    assert page.status_code == 200
    html = text(page)
    assert "sadakat-test.myshopify.com" in html
    assert "done 1" in html  # events of the last 24 h, by status in words
    assert "No worker seen in the last minute" in html


def test_the_session_cookie_is_httponly_and_samesite(client: FlaskClient) -> None:
    answer = login(client)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def test_a_wrong_password_is_refused_and_five_lock_the_address_out(client: FlaskClient) -> None:
    wrong = login(client, "guess")
    assert wrong.status_code == 401
    assert "Wrong password." in text(wrong)
    for _ in range(4):
        login(client, "guess")
    locked = login(client)  # even the right password, now
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert "Too many wrong passwords" in text(locked)
    assert client.get("/admin/").status_code == 302


def test_a_login_without_its_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/admin/login")
    answer = client.post("/admin/login", data={"password": "correct horse battery staple"})
    assert answer.status_code == 403
    assert client.get("/admin/").status_code == 302


def test_after_login_the_admin_is_never_sent_to_another_site(client: FlaskClient) -> None:
    token = form_csrf(text(client.get("/admin/login")))
    for target in ("https://evil.example/", "//evil.example/admin", "/webhooks/shopify"):
        answer = client.post(
            "/admin/login", data={"password": "correct horse battery staple", "csrf_token": token, "next": target}
        )
        assert answer.headers["Location"] == "/admin/"
        client.post("/admin/logout", data={"csrf_token": form_csrf(text(client.get("/admin/")))})
        token = form_csrf(text(client.get("/admin/login")))


def test_with_no_admin_password_the_login_page_says_what_to_set(config: Config) -> None:
    app = create_app(dataclasses.replace(config, admin_password=None))
    page = app.test_client().get("/admin/login")
    assert page.status_code == 503
    assert "set ADMIN_PASSWORD" in text(page)


def test_logging_out_ends_the_session(admin: FlaskClient) -> None:
    token = form_csrf(text(admin.get("/admin/")))
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_changing_the_password_ends_existing_sessions(admin: FlaskClient, config: Config, app: Flask) -> None:
    other = create_app(dataclasses.replace(config, admin_password="a new password"))
    # The same browser cookie, presented to a process started with the new password.
    client = other.test_client()
    cookie = admin.get_cookie("sadakat_admin")
    assert cookie is not None
    client.set_cookie("sadakat_admin", cookie.value)
    assert client.get("/admin/").status_code == 302


SAMPLE_ARGS = {"ident": JOHN}


def _sample(found: re.Match[str]) -> str:
    """A value each route placeholder accepts: the first choice of an ``any(...)``, else a sample."""
    converter, name = found.group(1) or "", found.group(2)
    if converter.startswith("any("):
        return converter[4:].split(",")[0].strip(" )")
    return SAMPLE_ARGS.get(name, "1")


def test_every_admin_route_needs_auth(app: Flask, member: Shop) -> None:
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/admin") or rule.rule == "/metrics") or rule.endpoint == "static":
            continue
        if rule.endpoint in (
            "admin_auth.login",
            "admin_auth.logout",
            "admin_auth.language",
            "admin_auth.sign_in_page",
            "admin_auth.sign_in_link",
        ):
            continue
        url = re.sub(r"<(?:([^:>]+):)?([^>]+)>", _sample, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method)
            assert answer.status_code in (302, 401), f"{method} {url} answered {answer.status_code} without auth"
            if answer.status_code == 302:
                assert answer.headers["Location"].startswith("/admin/login")
            checked += 1
    assert checked >= 20


def test_the_language_and_logout_forms_need_their_csrf_token(admin: FlaskClient) -> None:
    assert admin.post("/admin/language", data={"lang": "tr"}).status_code == 403
    assert admin.post("/admin/logout").status_code == 403
    assert admin.get("/admin/").status_code == 200


def test_a_form_post_without_csrf_token_changes_nothing(admin: FlaskClient, member: Shop) -> None:
    answer = admin.post(f"/admin/shops/{member.id}/programme", data={"earn_rate": "5", "action": "save"})
    assert answer.status_code == 403
    assert "CSRF" in answer.get_json()["error"]
    assert admin.get(f"/admin/api/shops/{member.id}/settings").get_json()["earn_rate"] == "1"


def test_the_json_api_takes_the_session_with_a_csrf_header(admin: FlaskClient, member: Shop) -> None:
    assert admin.get("/admin/api/shops").status_code == 200
    url = f"/admin/api/shops/{member.id}/settings"
    assert admin.put(url, json={"earn_rate": "2"}).status_code == 403
    token = form_csrf(text(admin.get("/admin/")))
    answer = admin.put(url, json={"earn_rate": "2"}, headers={"X-CSRF-Token": token})
    assert (answer.status_code, answer.get_json()["earn_rate"]) == (200, "2")


def test_the_shop_page_shows_metrics_charts_and_recent_events(admin: FlaskClient, member: Shop) -> None:
    page = admin.get(f"/admin/shops/{member.id}")
    assert page.status_code == 200
    html = text(page)
    assert re.search(r'id="points-issued">404<', html)
    assert "Figures as of now." in html  # a small shop: worked out on every view
    assert html.count("<svg") == 5  # events, points, tiers, segments, NPS trend
    assert "Events per hour, last 48 h" in html
    assert "<title>" in html and "done 1" in html
    assert "Nothing has failed." in html
    assert "Points given and redeemed per day, last 30 days" in html
    week = text(admin.get(f"/admin/shops/{member.id}?days=7"))
    assert "Points given and redeemed per day, last 7 days" in week and "Nothing in this period." in week
    events = text(admin.get(f"/admin/shops/{member.id}/events?status=processed"))
    assert "order paid" in events and "orders/paid" not in events.replace('value="orders/paid"', "")
    assert "No event matches." in text(admin.get(f"/admin/shops/{member.id}/events?status=failed"))


def test_customer_search_shows_balance_tier_and_history(admin: FlaskClient, member: Shop) -> None:
    found = text(admin.get(f"/admin/shops/{member.id}/customers?q=JOHN@example"))
    [link] = re.findall(rf'href="(/admin/shops/{member.id}/customers/\d+)"', found)
    page = admin.get(link)
    assert page.status_code == 200
    html = text(page)
    assert re.search(r'id="balance">404<', html)
    assert re.search(r"Order #\d+: \+404 points", html) and "2.5 points per 1.00" not in html
    missing = admin.get(f"/admin/shops/{member.id}/customers?q=nobody@example.com")
    assert missing.status_code == 200
    assert "No customer matches." in text(missing)


def test_a_failed_event_can_be_retried_and_discarded(
    admin: FlaskClient, client: FlaskClient, offline_shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", {"id": "not-a-number", "line_items": "none"})
    drain(redis)
    page = text(admin.get(f"/admin/shops/{offline_shopify_shop.id}"))
    assert 'id="failed-events"' in page
    [event_id] = re.findall(r"/events/(\d+)/retry", page)
    token = form_csrf(page)

    retried = admin.post(f"/admin/shops/{offline_shopify_shop.id}/events/{event_id}/retry", data={"csrf_token": token})
    assert retried.status_code == 302
    with storage.session() as session:
        assert session.get(WebhookEvent, int(event_id)).status == "pending"
    again = admin.post(f"/admin/shops/{offline_shopify_shop.id}/events/{event_id}/retry", data={"csrf_token": token})
    assert (again.status_code, again.get_json()["error"]) == (409, f"event {event_id} is already pending")
    drain(redis)  # still unreadable: failed again, with its reason

    discarded = admin.post(
        f"/admin/shops/{offline_shopify_shop.id}/events/{event_id}/discard", data={"csrf_token": token}
    )
    assert discarded.status_code == 302
    page = text(admin.get(f"/admin/shops/{offline_shopify_shop.id}"))
    assert 'id="failed-events"' not in page
    assert "discarded" in page
    with storage.session() as session:
        event = session.get(WebhookEvent, int(event_id))
        assert (event.status, event.attempts) == ("discarded", 1)
        assert event.error.startswith("unreadable orders/paid payload")


def test_the_pages_speak_turkish_with_turkish_numbers(admin: FlaskClient, member: Shop) -> None:
    token = form_csrf(text(admin.get("/admin/")))
    switched = admin.post("/admin/language", data={"lang": "tr", "csrf_token": token, "next": "/admin/"})
    assert switched.headers["Location"] == "/admin/"
    html = text(admin.get("/admin/"))
    assert "Genel bakış" in html
    assert '<html lang="tr">' in html
    shop = text(admin.get(f"/admin/shops/{member.id}"))
    assert "Verilen puan" in shop
    listed = text(admin.get(f"/admin/shops/{member.id}/customers?q={JOHN}"))
    [link] = re.findall(rf'href="(/admin/shops/{member.id}/customers/\d+)"', listed)
    customer = text(admin.get(link))
    assert "404,95" in customer and "Siparişler" in customer


def test_times_are_relative_with_the_exact_time_on_hover(admin: FlaskClient, member: Shop) -> None:
    html = text(admin.get("/admin/"))
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">(just now|\d+ s ago)</time>', html
    )


def test_admin_pages_send_security_headers(admin: FlaskClient, member: Shop) -> None:
    for url in ("/admin/", "/admin/login", f"/admin/shops/{member.id}"):
        headers = admin.get(url).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_overview_is_healthy_when_a_worker_and_the_scheduler_are_alive(
    admin: FlaskClient, member: Shop, redis: Redis
) -> None:
    with worker_and_scheduler_registered(redis) as worker:
        html = text(admin.get("/admin/"))
        assert 'class="verdict ok"' in html
        assert "All healthy" in html
        assert worker.name in html
        health = admin.get("/healthz").get_json()
        assert health["status"] == "ok"
        assert health["checks"]["workers"] == "1 seen in the last minute"


def test_with_redis_down_a_login_is_a_503_not_a_crash(config: Config) -> None:
    client = create_app(dataclasses.replace(config, redis_url="redis://127.0.0.1:1/0")).test_client()
    answer = login(client)
    assert answer.status_code == 503
    assert answer.get_json()["error"] == "Redis is unavailable; retry later"
    assert answer.headers["Retry-After"] == "30"


def test_a_customer_search_with_a_nul_character_still_answers(admin: FlaskClient, member: Shop) -> None:
    answer = admin.get(f"/admin/shops/{member.id}/customers", query_string={"q": "john\x00@example.com"})
    assert answer.status_code == 200  # a character no one can type is left out of the search
    assert "john@example.com" in text(answer)


def test_a_redemption_whose_points_came_back_shows_no_retry_button(
    admin: FlaskClient, member: Shop, storage: Storage
) -> None:
    from connector.db.tables import Push

    with storage.session() as session:
        session.add(
            Push(
                shop_id=member.id,
                kind="discount_code",
                target=JOHN,
                key="redeem:1",
                payload={"code": "SDK-1", "redemption": {"customer": 1, "points": 500}},
                status="failed",
                last_error="Shopify: HTTP 403",
            )
        )
    page = text(admin.get(f"/admin/shops/{member.id}"))
    assert 'id="failed-pushes"' in page
    assert "points given back" in page
    assert "/retry" not in page.split('id="failed-pushes"')[1].split("</table>")[0]
