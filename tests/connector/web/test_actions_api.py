"""Points for actions other apps report, through the store's server (customer API key), and birthday
points instead of a code."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop
from connector.ops import maintenance
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from tests.support import AUTH, drain, fixture, post_woo

GUEST = "john.doe@example.com"


def act(client: FlaskClient, shop: Shop, body: dict, key: str | None = None) -> object:
    return client.post(
        f"/api/shops/{shop.id}/customer/actions",
        json={"customer": GUEST} | body,
        headers={"Authorization": f"Bearer {key or shop.customer_api_key}"},
    )


def test_a_reported_action_earns_once_per_key_up_to_the_daily_cap(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage, woo_shop.id, {"actions": [{"name": "review", "points": 50, "daily_cap": 2}], "sync_customers": False}
    )
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json"))
    drain(redis)
    first = act(client, woo_shop, {"action": "review", "key": "review-1"})
    assert (first.status_code, first.get_json()["points"]) == (201, 50)
    again = act(client, woo_shop, {"action": "review", "key": "review-1"})
    assert (again.status_code, again.get_json()["status"]) == (200, "already recorded")
    assert act(client, woo_shop, {"action": "review", "key": "review-2"}).status_code == 201
    capped = act(client, woo_shop, {"action": "review", "key": "review-3"})
    assert capped.status_code == 409
    assert "at most 2 times a day; it resets at " in capped.get_json()["error"]
    unknown = act(client, woo_shop, {"action": "tweet", "key": "t-1"})
    assert (unknown.status_code, unknown.get_json()["error"]) == (
        400,
        "action must be one the shop rewards (review), got 'tweet'",
    )
    assert act(client, woo_shop, {"action": "review"}).status_code == 400
    assert act(client, woo_shop, {"action": "review", "key": "review-9"}, key="wrong").status_code == 401
    with storage.session() as session:
        kinds = [(e.kind, e.points) for e in session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "action"))]
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.email == GUEST)).one()
    assert kinds == [("action", 50), ("action", 50)]
    assert member.points == 18 + 100  # the order (18.00 of merchandise) and two reviews


def test_birthday_points_are_given_once_a_year_instead_of_a_code(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage,
        woo_shop.id,
        {"gifts": [{"rule": "birthday", "kind": "points", "value": "200"}], "sync_customers": False},
    )
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json"))
    drain(redis)
    with storage.session() as session:
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.email == GUEST)).one()
        member.birthday = date(1990, 12, 24)
    queue = event_queue(redis)
    maintenance.daily_gifts(storage, queue, date(2026, 12, 24))
    maintenance.daily_gifts(storage, queue, date(2026, 12, 24))
    maintenance.daily_gifts(storage, queue, date(2026, 12, 25))
    with storage.session() as session:
        gifts = [
            (e.kind, e.points, e.rule) for e in session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "gift"))
        ]
    assert gifts == [("gift", 200, "birthday_points")]
    bad = client.put(
        f"/admin/api/shops/{woo_shop.id}/settings",
        json={"gifts": [{"rule": "first_order", "kind": "points", "value": "5"}]},
        headers=AUTH,
    )
    assert bad.status_code == 400 and "gifts[1].kind must be one of" in bad.get_json()["error"]
