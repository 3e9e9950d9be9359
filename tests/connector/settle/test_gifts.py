"""Surprise gifts after purchases and delivery problems: at most one per rule and order or shipment."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.ops.shops import change_settings
from connector.settle.gifts import chance_roll
from tests.support import drain, fixture, paid_shopify_order, post_shopify, sign

GIFTS = [
    {"rule": "first_order", "kind": "percentage", "value": 10},
    {"rule": "every_nth_order", "every": 2, "value": "5.00"},
    {"rule": "order_over", "threshold": "400", "kind": "free_shipping"},
    {"rule": "random_over", "threshold": "0", "chance": "1", "value": "1.00"},
    {"rule": "random_over", "threshold": "0", "chance": "0", "value": "99.00"},
]


def gift_reasons(storage: Storage) -> list[str]:
    with storage.session() as session:
        rows = session.scalars(select(Push).where(Push.kind == "discount_code").order_by(Push.id))
        return [p.payload["reason"] for p in rows]


def test_rules_fire_once_per_order_however_often_events_repeat(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"gifts": GIFTS})
    first = paid_shopify_order()
    for _ in range(3):
        post_shopify(client, offline_shopify_shop, "orders/paid", first)  # retries, new delivery ids
    drain(redis)
    order_id = "820982911946154508"
    assert gift_reasons(storage) == [
        f"gift:first_order:0:{order_id}",
        f"gift:order_over:2:{order_id}",
        f"gift:random_over:3:{order_id}",
    ]
    second = paid_shopify_order(id=1001, total_price_set={"shop_money": {"amount": "50.00", "currency_code": "USD"}})
    post_shopify(client, offline_shopify_shop, "orders/paid", second)
    drain(redis)
    assert gift_reasons(storage)[3:] == ["gift:every_nth_order:1:1001", "gift:random_over:3:1001"]
    with storage.session() as session:
        first_gift = session.scalars(select(Push).where(Push.kind == "discount_code").order_by(Push.id)).first()
    assert (first_gift.payload["kind"], first_gift.payload["value"]) == ("percentage", "10")
    assert first_gift.payload["customer_id"] == "115310627314723954"


def test_an_unpaid_or_cancelled_order_gets_nothing(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"gifts": GIFTS[:1]})
    post_shopify(client, offline_shopify_shop, "orders/cancelled", fixture("shopify/orders_create.json"))
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())  # paid after cancel: no points
    drain(redis)
    assert gift_reasons(storage) == []


def test_the_random_rule_never_rerolls() -> None:
    rolls = {chance_roll(1, 3, "1001") for _ in range(5)}
    assert len(rolls) == 1
    assert chance_roll(1, 3, "1001") != chance_roll(1, 3, "1002")


def test_a_delivery_problem_brings_one_apology_per_shipment(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage,
        offline_shopify_shop.id,
        {"gifts": [{"rule": "delivery_problem", "kind": "fixed_amount", "value": "3.00"}]},
    )
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    post_shopify(client, offline_shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    for status, at in (
        ("delayed", "2022-01-02T10:00:00Z"),
        ("failure", "2022-01-03T10:00:00Z"),
        ("in_transit", "2022-01-02T08:00:00Z"),
    ):
        body = json.dumps({"tracking_number": "1z827wk74630", "status": status, "happened_at": at}).encode()
        response = client.post(
            f"/webhooks/carrier/{offline_shopify_shop.id}",
            data=body,
            headers={"X-Sadakat-Signature": sign(body, offline_shopify_shop.carrier_secret or "")},
        )
        assert response.status_code == 200
    drain(redis)
    assert gift_reasons(storage) == ["gift:delivery_problem:0:123456"]
