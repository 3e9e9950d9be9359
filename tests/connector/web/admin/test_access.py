"""No way across: a shop's people and API tokens reach their own shop only, each by their role, on every
admin route (found from Flask's URL map, so a route added without the guard fails here); the operator keeps
every shop."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.config import Config
from connector.db.after_delivery import CareItem
from connector.db.referrals import ReferralClaim
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, DataExport, Push, Shop, WebhookEvent
from connector.ops.imports import runs
from connector.ops.merchants import destinations, people, sign_in
from connector.ops.shops import register_shop
from connector.outbox import mail
from connector.queue.connection import event_queue
from connector.settle.after_delivery import care
from tests.support import AUTH, WOO_SECRET, drain, fixture, form_csrf, login, post_woo

OPEN_TO_ALL = {"admin_auth.login", "admin_auth.logout", "admin_auth.language", "admin_auth.sign_in_page"}
OPEN_TO_ALL |= {"admin_auth.sign_in_link", "static"}


def _shop(storage: Storage, config: Config, domain: str) -> Shop:
    credentials = {"consumer_key": "ck", "consumer_secret": "cs"}
    return register_shop(storage, config, "woocommerce", domain, credentials, WOO_SECRET)


@pytest.fixture
def two_shops(client: FlaskClient, storage: Storage, config: Config, redis: Redis) -> dict[str, Any]:
    """Shop A (ana@ owns it) and shop B, each with a customer who ordered, B's with its ids at hand."""
    a = _shop(storage, config, "https://a-shop.example.com")
    b = _shop(storage, config, "https://b-shop.example.com")
    order = fixture("woocommerce/order_created.json")
    post_woo(client, a, "order.created", order)
    billing = order["billing"] | {"email": "bella@example.org", "first_name": "Bellatrix"}
    b_order = order | {"id": 990, "billing": billing}
    post_woo(client, b, "order.created", b_order)
    drain(redis)
    people.add_person(storage, a.id, "ana@a-shop.example.com", "owner", "test", None)
    with storage.session() as session:
        b_customer = session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == b.id)).one()
        b_event = session.scalars(select(WebhookEvent.id).where(WebhookEvent.shop_id == b.id)).first()
        b_push = session.scalars(select(Push.id).where(Push.shop_id == b.id)).first()
        care.open_item(session, b.id, "detractor", "detractor:990", order_id="990", detail="Bellatrix: 1/10")
        claim = ReferralClaim(shop_id=b.id, referrer_id=b_customer.id, friend_email="f@example.org", status="held")
        export = DataExport(shop_id=b.id, customer_ref="bella", body={"customer": "Bellatrix"})
        session.add_all([claim, export])
        session.flush()
        b_item = session.scalars(select(CareItem.id).where(CareItem.shop_id == b.id)).one()
        ids = {"b_item": b_item, "b_claim": claim.id, "b_export": export.id}
    endpoint = destinations.add_webhook(storage, b.id, "http://127.0.0.1:9/hooks", None, "test", allow_private=True)
    [(b_delivery, _)] = destinations.send_test(storage, b.id, endpoint.id)
    ids |= {"b_endpoint": endpoint.id, "b_delivery": b_delivery}
    upload = io.BytesIO(b"email,points\nbella@example.org,5\n")
    ids["b_import"] = runs.upload(storage, config.data_dir, b.id, upload, "b.csv", {"source": "generic"}, "test",
                                  event_queue(redis))  # fmt: skip
    return {"a": a, "b": b, "b_customer": b_customer.id, "b_event": b_event, "b_push": b_push or 1} | ids


def signed_in(app: Flask, storage: Storage, config: Config, email: str) -> FlaskClient:
    """A browser of ``email`` signed in by the link e-mailed to them (read off the local mailbox)."""
    browser = app.test_client()
    before = {m.name for m in mail.kept_messages(config, limit=10**6)}
    assert sign_in.send_link(storage, config, email, "en")
    [letter] = [m for m in mail.kept_messages(config, limit=10**6) if m.name not in before]
    path = re.search(r"https?://[^/\s]+(/admin/sign-in/\S+)", letter.text)
    assert path, letter.text
    page = browser.get(path.group(1))
    assert page.status_code == 200
    done = browser.post(path.group(1), data={"csrf_token": form_csrf(page.get_data(as_text=True))})
    assert done.status_code == 302
    return browser


def _csrf(browser: FlaskClient, shop_id: int) -> str:
    return form_csrf(browser.get(f"/admin/shops/{shop_id}").get_data(as_text=True))


def _admin_rules(app: Flask) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/admin") or rule.rule == "/metrics") and rule.endpoint not in OPEN_TO_ALL
    ]


def _url(rule: Any, shop: int, ids: dict[str, Any]) -> str:
    values = {
        "shop_id": shop,
        "customer_id": ids["b_customer"],
        "event_id": ids["b_event"],
        "push_id": ids["b_push"],
        "item_id": ids["b_item"],
        "claim_id": ids["b_claim"],
        "export_id": ids["b_export"],
        "endpoint_id": ids["b_endpoint"],
        "delivery_id": ids["b_delivery"],
        "run_id": ids["b_import"],
        "token_id": 999,  # not the asking token: an owner may revoke their own
        "ident": "bella@example.org",
        "email": "bella@example.org",
        "number": "1Z999",
        "service": "aftership",
        "decision": "approve",
        "action": "retry" if "events" in rule.rule or "pushes" in rule.rule else "note",
        "name": "x.eml",
        "filename": "x",
    }
    return "/" + "/".join(
        str(values[part[1:-1].split(":")[-1]]) if part.startswith("<") else part for part in rule.rule.split("/")[1:]
    )


def _ask(browser: FlaskClient, method: str, url: str, headers: dict[str, str]) -> Any:
    body = {"email": "x@example.com", "role": "owner", "points": 5, "reason": "x", "key": "k", "value": "5"}
    if method == "GET":
        return browser.get(url, headers=headers)
    return browser.open(url, method=method, json=body, headers=headers)


def test_no_admin_route_reaches_another_shop_for_a_person_or_a_token(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config
) -> None:
    a, b = two_shops["a"], two_shops["b"]
    person = signed_in(app, storage, config, "ana@a-shop.example.com")
    token = people.create_token(storage, a.id, "owner", "all-of-a", "test", None).secret
    askers = [
        ("person", person, {"X-CSRF-Token": _csrf(person, a.id)}),
        ("token", app.test_client(), {"Authorization": f"Bearer {token}"}),
    ]
    secrets_of_b = ("b-shop.example.com", "Bellatrix")  # B's domain and its customer's name: in no URL
    checked = 0
    for rule in _admin_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for shop in [b.id, a.id] if "<shop_id:" in rule.rule else [None]:
                url = _url(rule, shop or 0, two_shops)
                for who, browser, headers in askers:
                    answer = _ask(browser, method, url, headers)
                    body = answer.get_data(as_text=True)
                    where = f"{who} {method} {url} ({rule.endpoint}) answered {answer.status_code}"
                    assert not any(secret in body for secret in secrets_of_b), where
                    if shop == b.id or (
                        shop is None
                        and rule.endpoint not in {"admin_pages.overview", "admin.list_shops", "api_docs.docs"}
                    ):
                        assert answer.status_code in (403, 404), where
                    elif shop == a.id:
                        assert answer.status_code < 500, where
                    checked += 1
    assert checked > 150


def test_a_person_sees_their_own_shop_and_the_operator_sees_all(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config
) -> None:
    a = two_shops["a"]
    person = signed_in(app, storage, config, "ana@a-shop.example.com")
    home = person.get("/admin/")
    assert (home.status_code, home.headers["Location"]) == (302, f"/admin/shops/{a.id}")
    assert [s["id"] for s in person.get("/admin/api/shops").get_json()["shops"]] == [a.id]
    page = person.get(f"/admin/shops/{a.id}").get_data(as_text=True)
    assert "Signed in as ana@a-shop.example.com" in page and "a-shop.example.com" in page
    assert person.get("/admin/mail").status_code == 403  # the deployment's mailbox is the operator's
    assert person.get("/metrics").status_code in (401, 403)
    operator = client.get("/admin/api/shops", headers=AUTH).get_json()["shops"]
    assert {s["domain"] for s in operator} >= {"a-shop.example.com", "b-shop.example.com"}
    assert login(client).status_code == 302
    assert "Operator view: every shop" in client.get("/admin/").get_data(as_text=True)


def test_support_staff_reads_customers_adjusts_within_the_limit_and_cant_change_the_programme(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config
) -> None:
    a = two_shops["a"]
    owner = signed_in(app, storage, config, "ana@a-shop.example.com")
    csrf = {"X-CSRF-Token": _csrf(owner, a.id)}
    added = owner.post(
        f"/admin/api/shops/{a.id}/people", json={"email": "Sam@A-shop.example.com", "role": "support"}, headers=csrf
    )
    assert (added.status_code, added.get_json()["role"], added.get_json()["email"]) == (
        201,
        "support",
        "sam@a-shop.example.com",
    )
    people.set_support_limit(storage, a.id, 20, "test", None)
    sam = signed_in(app, storage, config, "sam@a-shop.example.com")
    sam_csrf = {"X-CSRF-Token": _csrf(sam, a.id)}
    assert sam.get(f"/admin/api/shops/{a.id}/customers/john.doe@example.com").status_code == 200
    url = f"/admin/api/shops/{a.id}/customers/john.doe@example.com/adjustments"
    small = sam.post(url, json={"points": 15, "reason": "late parcel", "key": "s-1"}, headers=sam_csrf)
    assert small.status_code == 201
    large = sam.post(url, json={"points": 50, "reason": "late parcel", "key": "s-2"}, headers=sam_csrf)
    assert large.status_code == 403 and "at most 20 points" in large.get_json()["error"]
    editor = sam.get(f"/admin/shops/{a.id}/programme")
    assert editor.status_code == 403 and "Your role at this shop (support)" in editor.get_data(as_text=True)
    assert sam.put(f"/admin/api/shops/{a.id}/settings", json={"earn_rate": "9"}, headers=sam_csrf).status_code == 403
    assert (
        sam.post(
            f"/admin/api/shops/{a.id}/people", json={"email": "x@y.com", "role": "owner"}, headers=sam_csrf
        ).status_code
        == 403
    )
    trail = owner.get(f"/admin/api/shops/{a.id}/audit").get_json()["entries"]
    assert [(e["actor"], e["action"]) for e in trail][:3] == [
        ("sam@a-shop.example.com", "adjustment"),
        ("test", "support.limit"),
        ("ana@a-shop.example.com", "person.role"),
    ]
    assert trail[0]["after"] == {"points": 15, "reason": "late parcel"} and trail[0]["source"]


def test_a_revoked_token_and_an_ended_session_are_refused_at_once(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config
) -> None:
    a = two_shops["a"]
    made = people.create_token(storage, a.id, "manager", "reports", "test", None)
    bearer = {"Authorization": f"Bearer {made.secret}"}
    assert client.get(f"/admin/api/shops/{a.id}/metrics", headers=bearer).status_code == 200
    assert client.get(f"/admin/api/shops/{a.id}/people", headers=bearer).status_code == 403  # a manager's token
    people.revoke_token(storage, a.id, "reports", "test", None)
    assert client.get(f"/admin/api/shops/{a.id}/metrics", headers=bearer).status_code == 401
    person = signed_in(app, storage, config, "ana@a-shop.example.com")
    people.add_person(storage, a.id, "other@a-shop.example.com", "owner", "test", None)
    people.remove_person(storage, a.id, "ana@a-shop.example.com", "test", None)
    assert person.get(f"/admin/shops/{a.id}").status_code == 404
    again = signed_in(app, storage, config, "other@a-shop.example.com")
    assert again.post("/admin/logout", data={"csrf_token": _csrf(again, a.id)}).status_code == 302
    assert again.get(f"/admin/api/shops/{a.id}/metrics").status_code == 401


def test_sign_in_links_work_once_and_say_the_same_for_strangers(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config, redis: Redis
) -> None:
    page = client.get("/admin/sign-in")
    token = form_csrf(page.get_data(as_text=True))
    known = client.post("/admin/sign-in", data={"csrf_token": token, "email": "ana@a-shop.example.com"})
    stranger = client.post("/admin/sign-in", data={"csrf_token": token, "email": "nobody@example.com"})
    assert known.status_code == stranger.status_code == 200
    assert "a sign-in link is on its way" in known.get_data(as_text=True)
    assert "a sign-in link is on its way" in stranger.get_data(as_text=True)
    bad = client.post("/admin/sign-in", data={"csrf_token": token, "email": "not an address"})
    assert bad.status_code == 400
    assert not sign_in.send_link(storage, config, "nobody@example.com", "en")
    browser = signed_in(app, storage, config, "ana@a-shop.example.com")
    assert browser.get(f"/admin/shops/{two_shops['a'].id}").status_code == 200
    assert sign_in.enter(storage, "made-up-token") is None
    before = {m.name for m in mail.kept_messages(config, limit=10**6)}
    assert sign_in.send_link(storage, config, "ana@a-shop.example.com", "tr")
    [letter] = [m for m in mail.kept_messages(config, limit=10**6) if m.name not in before]
    assert letter.subject == "Sadakat giriş bağlantınız"
    link = re.search(r"/admin/sign-in/(\S+)", letter.text)
    assert link is not None
    assert sign_in.enter(storage, link.group(1)) == "ana@a-shop.example.com"
    assert sign_in.enter(storage, link.group(1)) is None  # once only


def test_codes_and_care_actions_are_in_the_trail_with_who_gave_them(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config
) -> None:
    a = two_shops["a"]
    with storage.session() as session:
        care.open_item(session, a.id, "detractor", "detractor:727", order_id="727", detail="2/10")
    owner = signed_in(app, storage, config, "ana@a-shop.example.com")
    csrf = {"X-CSRF-Token": _csrf(owner, a.id)}
    code = owner.post(
        f"/admin/api/shops/{a.id}/customers/john.doe@example.com/codes", json={"value": "5"}, headers=csrf
    )
    assert code.status_code == 202
    [item] = owner.get(f"/admin/api/shops/{a.id}/care").get_json()["items"]
    assert owner.post(f"/admin/api/shops/{a.id}/care/{item['id']}/resolve", headers=csrf).status_code == 200
    trail = owner.get(f"/admin/api/shops/{a.id}/audit").get_json()["entries"]
    assert [(e["actor"], e["action"], e["subject"]) for e in trail][:2] == [
        ("ana@a-shop.example.com", "care", f"item {item['id']}"),
        ("ana@a-shop.example.com", "code", "john.doe@example.com"),
    ]
    assert trail[1]["after"] == {"kind": "fixed_amount", "value": "5"}


def test_a_shops_mailbox_holds_the_letters_sent_for_it_only(
    app: Flask, client: FlaskClient, two_shops: dict[str, Any], storage: Storage, config: Config, redis: Redis
) -> None:
    from connector.outbox import pushes
    from connector.outbox import requests as outbox

    a, b = two_shops["a"], two_shops["b"]
    for shop, to in ((a, "ayse@example.com"), (b, "bella@example.org")):
        with storage.session() as session:
            letter = {"to": to, "subject": f"Hello from {shop.domain}", "body": "Your code is ABC."}
            push = outbox.request(session, shop.id, pushes.EMAIL, f"hello:{shop.id}", to, letter)
        pushes.dispatch(storage, pushes_queue(app), [(push, shop.id)])
    drain(redis)
    owner = signed_in(app, storage, config, "ana@a-shop.example.com")
    page = owner.get(f"/admin/shops/{a.id}/mail").get_data(as_text=True)
    assert "Hello from a-shop.example.com" in page and "b-shop" not in page
    found = re.search(r'/admin/shops/\d+/mail/([^"]+\.eml)">Hello from a-shop', page)  # the run's mailbox is shared
    assert found is not None
    name = found.group(1)
    assert "Your code is ABC." in owner.get(f"/admin/shops/{a.id}/mail/{name}").get_data(as_text=True)
    assert owner.get("/admin/mail").status_code == 403  # the whole deployment's mailbox is the operator's
    assert login(client).status_code == 302
    everything = client.get("/admin/mail").get_data(as_text=True)
    assert "Hello from a-shop.example.com" in everything and "Hello from b-shop.example.com" in everything


def pushes_queue(app: Flask) -> Any:
    return app.extensions["sadakat"].queue
