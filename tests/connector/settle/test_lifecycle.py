"""Leaving and coming back, and Shopify's privacy webhooks."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from pytest import MonkeyPatch
from redis import Redis
from sqlalchemy import func, select

from adapters.base import ShopAddress, Tokens
from connector.config import Config
from connector.db.merchants import ProgrammeEvent
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Push, Shop, WebhookEvent
from connector.model import Lifecycle
from connector.ops.shops import install_shop
from connector.settle import lifecycle
from tests.support import AUTH, customer_json, drain, paid_shopify_order, post_shopify, sign

JOHN = "115310627314723954"
SHOP = ShopAddress(domain="leaving.myshopify.com", base_url="https://leaving.myshopify.com")


def installed(storage: Storage, config: Config, token: str = "shpat_1") -> Shop:
    shop, _ = install_shop(storage, config, "shopify", SHOP, Tokens(credentials={"access_token": token}))
    with storage.session() as session:  # registration pushes aren't what these tests are about
        session.execute(Push.__table__.delete())
    return shop


def app_webhook(client: FlaskClient, topic: str, payload: dict) -> int:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP.domain,
        "X-Shopify-Hmac-Sha256": sign(body, "shopify-webhook-secret"),
        "X-Shopify-Webhook-Id": topic + "-1",
    }
    return client.post("/webhooks/shopify", data=body, headers=headers).status_code


def own_order() -> dict:
    """The sample order, as this shop's (its status page on the shop's own domain)."""
    return paid_shopify_order(order_status_url=f"https://{SHOP.domain}/548380009/orders/123456abcd/authenticate")


def test_uninstall_forgets_credentials_and_cancels_pushes_and_a_reinstall_keeps_balances(
    client: FlaskClient, storage: Storage, config: Config, redis: Redis
) -> None:
    shop = installed(storage, config)
    with storage.session() as session:
        session.execute(Shop.__table__.update().values(settings={"sync_customers": False}))
    post_shopify(client, shop, "orders/paid", own_order())
    drain(redis)
    assert customer_json(client, shop, JOHN)["points"] == 404
    with storage.session() as session:
        session.add(
            Push(shop_id=shop.id, kind="customer_sync", target=JOHN, key="pending-one", payload={}, status=Push.PENDING)
        )

    assert app_webhook(client, "app/uninstalled", {"id": 548380009, "domain": SHOP.domain}) == 200
    drain(redis)
    with storage.session() as session:
        gone = session.get(Shop, shop.id)
        assert gone.uninstalled_at is not None and gone.credentials == {}
        assert set(session.scalars(select(Push.status))) == {"cancelled"}

    again = installed(storage, config, token="shpat_2")
    assert again.id == shop.id
    with storage.session() as session:
        back = session.get(Shop, shop.id)
        assert back.uninstalled_at is None and back.credentials == {"access_token": "shpat_2"}
    assert customer_json(client, shop, JOHN)["points"] == 404


def test_customer_redact_erases_personal_data_and_keeps_the_books(
    client: FlaskClient, storage: Storage, config: Config, redis: Redis
) -> None:
    shop = installed(storage, config)
    post_shopify(client, shop, "orders/paid", own_order())
    drain(redis)
    payload = {
        "shop_id": 548380009,
        "shop_domain": SHOP.domain,
        "customer": {"id": int(JOHN), "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": [820982911946154508],
    }
    assert app_webhook(client, "customers/redact", payload) == 200
    drain(redis)
    with storage.session() as session:
        [member] = session.scalars(select(CustomerRecord)).all()
        assert (member.email, member.first_name, member.platform_id) == (None, None, None)
        assert member.key.startswith("redacted:") and member.points == 404
        assert session.scalar(select(func.sum(LedgerEntry.points))) == 404
        bodies = b"".join(session.scalars(select(WebhookEvent.body)))
        told = json.dumps([event.data for event in session.scalars(select(ProgrammeEvent))])
    assert b"john@example.com" not in bodies and JOHN.encode() not in bodies
    assert '"points": 404' in told  # what happened is kept
    assert "john" not in told.lower() and JOHN not in told and '"redacted": true' in told


def test_a_redaction_blanks_the_bodies_found_beforehand_and_those_stored_since(
    client: FlaskClient, storage: Storage, config: Config, redis: Redis
) -> None:
    shop = installed(storage, config)
    post_shopify(client, shop, "orders/paid", own_order())
    jane = json.dumps(own_order()).replace(JOHN, "42").replace("john@example.com", "jane@example.com")
    other = json.loads(jane) | {"id": 999}
    post_shopify(client, shop, "orders/paid", other)
    drain(redis)
    request = Lifecycle("customer_redact", customer_id=JOHN, email="john@example.com")
    found = lifecycle.find_named_bodies(storage, shop.id, request)  # before the transaction, holding no lock
    assert len(found.ids) == 1
    post_shopify(client, shop, "orders/updated", own_order())  # stored after the search: pending, not found
    with storage.session() as session:
        lifecycle.redact_customer(session, session.get(Shop, shop.id), request, found)
    with storage.session() as session:
        bodies = {event_id: body for event_id, body in session.execute(select(WebhookEvent.id, WebhookEvent.body))}
    assert [b for b in bodies.values() if b == lifecycle.REDACTED_BODY] == [lifecycle.REDACTED_BODY] * 2
    assert [b for b in bodies.values() if JOHN.encode() in b or b"john@example.com" in b] == []
    assert sum(b"jane@example.com" in b for b in bodies.values()) == 1  # someone else's order is kept


def test_customer_data_request_builds_a_downloadable_export(
    client: FlaskClient, storage: Storage, config: Config, redis: Redis
) -> None:
    shop = installed(storage, config)
    post_shopify(client, shop, "orders/paid", own_order())
    drain(redis)
    payload = {
        "shop_id": 548380009,
        "shop_domain": SHOP.domain,
        "orders_requested": [820982911946154508],
        "customer": {"id": int(JOHN), "email": "john@example.com", "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }
    assert app_webhook(client, "customers/data_request", payload) == 200
    drain(redis)
    [export] = client.get(f"/admin/api/shops/{shop.id}/data-exports", headers=AUTH).get_json()["exports"]
    assert export["request_id"] == "9999"
    download = client.get(f"/admin/api/shops/{shop.id}/data-exports/{export['id']}", headers=AUTH)
    assert "attachment" in download.headers["Content-Disposition"]
    [record] = download.get_json()["records"]
    assert record["customer"]["email"] == "john@example.com" and record["customer"]["points"] == 404
    assert [e["points"] for e in record["ledger"]] == [404]
    assert record["orders"][0]["id"] == "820982911946154508"
    assert client.get(f"/admin/api/shops/{shop.id}/data-exports/{export['id']}").status_code == 401


def test_shop_redact_erases_everything_of_that_shop_only(
    client: FlaskClient, storage: Storage, config: Config, redis: Redis, woo_shop: Shop
) -> None:
    shop = installed(storage, config)
    post_shopify(client, shop, "orders/paid", own_order())
    drain(redis)
    assert app_webhook(client, "shop/redact", {"shop_id": 548380009, "shop_domain": SHOP.domain}) == 200
    drain(redis)
    with storage.session() as session:
        assert session.scalars(select(Shop.id)).all() == [woo_shop.id]
        for table in (CustomerRecord, LedgerEntry, WebhookEvent, Push):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_privacy_webhook_with_a_bad_signature_is_401(client: FlaskClient, storage: Storage, config: Config) -> None:
    installed(storage, config)
    body = json.dumps({"shop_id": 1, "shop_domain": SHOP.domain}).encode()
    headers = {
        "X-Shopify-Topic": "shop/redact",
        "X-Shopify-Shop-Domain": SHOP.domain,
        "X-Shopify-Hmac-Sha256": sign(body, "not-the-app-secret"),
        "X-Shopify-Webhook-Id": "x",
    }
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(Shop)) == 1


def test_shop_redact_erases_a_row_at_a_time_and_leaves_other_shops_whole(
    client: FlaskClient,
    storage: Storage,
    config: Config,
    redis: Redis,
    offline_shopify_shop: Shop,
    monkeypatch: MonkeyPatch,
) -> None:
    monkeypatch.setattr(lifecycle, "ERASE_CHUNK", 1)  # every row its own transaction
    shop = installed(storage, config)
    for n in range(3):
        post_shopify(client, shop, "orders/paid", own_order() | {"id": 9000 + n})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert app_webhook(client, "shop/redact", {"shop_id": 548380009, "shop_domain": SHOP.domain}) == 200
    drain(redis)
    with storage.session() as session:
        assert session.scalars(select(Shop.id)).all() == [offline_shopify_shop.id]
        kept = {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (CustomerRecord, OrderRecord, LedgerEntry, WebhookEvent)
        }
    assert kept == {"customers": 1, "orders": 1, "ledger_entries": 1, "webhook_events": 1}
    lifecycle.erase_shop(storage, shop.id)  # again: nothing left to do, nothing else touched
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
