"""Webhook to ledger, end to end through the real receiver, queue and worker."""

import itertools

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, WebhookEvent
from connector.settle import ledger
from tests.support import (
    customer_json,
    drain,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
    shopify_refund,
)

JOHN = "115310627314723954"


def assert_cache_equals_sum(storage: Storage) -> None:
    with storage.session() as session:
        for record in session.scalars(select(CustomerRecord)):
            assert record.points == ledger.balance(session, record.id), record.key


def test_paid_shopify_order_earns_a_point_per_unit_of_merchandise(
    client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    view = customer_json(client, shopify_shop, JOHN)
    assert view["points"] == 404
    [entry] = view["entries"]
    assert entry["kind"] == "order"
    assert entry["points"] == 404
    assert entry["source"] == {"type": "order", "id": "820982911946154508"}
    assert (entry["rule"], entry["rate"], entry["amount"]) == ("points_per_currency_unit", "1", "404.95")
    assert customer_json(client, shopify_shop, "JOHN@example.com")["points"] == 404
    assert_cache_equals_sum(storage)


def test_woocommerce_guest_order_is_credited_to_the_billing_email(
    client: FlaskClient, woo_shop: Shop, redis: Redis
) -> None:
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    view = customer_json(client, woo_shop, "john.doe@example.com")
    assert view["points"] == 18
    assert view["customer"]["key"] == "email:john.doe@example.com"


def test_unpaid_order_earns_nothing_until_paid(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    order = fixture("woocommerce/order_created.json")
    post_woo(client, woo_shop, "order.created", order | {"status": "on-hold"})
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 0
    post_woo(client, woo_shop, "order.updated", order | {"status": "processing"})
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18


def test_earn_rate_is_the_shops(client: FlaskClient, config, storage: Storage, redis: Redis) -> None:
    from connector.ops.shops import register_shop

    shop = register_shop(
        storage,
        config,
        "shopify",
        "rate.myshopify.com",
        {"access_token": "t"},
        "shopify-webhook-secret",
        {"earn_rate": "2.5"},
    )
    post_shopify(client, shop, "orders/paid", paid_shopify_order())
    drain(redis)
    view = customer_json(client, shop, JOHN)
    assert view["points"] == 1012  # floor(404.95 * 2.5)
    assert view["entries"][0]["rate"] == "2.5"


def test_partial_refund_reverses_in_proportion(
    client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    order = paid_shopify_order()
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7001, "89.99"))
    drain(redis)
    view = customer_json(client, shopify_shop, JOHN)
    assert view["points"] == 404 - 89  # floor(404 * 89.99 / 404.95) = 89
    assert [e["kind"] for e in view["entries"]] == ["refund", "order"]
    assert_cache_equals_sum(storage)


def test_full_refund_brings_the_balance_back_to_zero_and_never_below(
    client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    order = paid_shopify_order()
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7001, "404.95"))
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7002, "50.00"))  # more than earned
    post_shopify(client, shopify_shop, "orders/cancelled", order | {"cancelled_at": "2022-01-03T00:00:00Z"})
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 0
    assert_cache_equals_sum(storage)


def test_refunds_that_add_up_to_the_whole_reverse_everything(
    client: FlaskClient, shopify_shop: Shop, redis: Redis
) -> None:
    order = paid_shopify_order()
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7001, "200.00"))
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7002, "204.95"))
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 0


def test_cancellation_reverses_what_is_left(client: FlaskClient, shopify_shop: Shop, redis: Redis) -> None:
    order = paid_shopify_order()
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7001, "89.99"))
    post_shopify(client, shopify_shop, "orders/cancelled", fixture("shopify/orders_create.json"))
    drain(redis)
    view = customer_json(client, shopify_shop, JOHN)
    assert view["points"] == 0
    assert [e["kind"] for e in view["entries"]] == ["cancellation", "refund", "order"]
    assert view["entries"][0]["points"] == -(404 - 89)


def test_deleted_woocommerce_order_takes_its_points_back(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    post_woo(client, woo_shop, "order.deleted", {"id": 727})
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 0


def test_woocommerce_refunds_in_the_order_reverse_points(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    order = fixture("woocommerce/order_created.json")
    post_woo(client, woo_shop, "order.created", order)
    post_woo(
        client,
        woo_shop,
        "order.updated",
        order | {"refunds": [{"id": 730, "reason": "", "total": "-14.675"}]},
    )
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 9  # half the order: 18 -> 9
    post_woo(
        client,
        woo_shop,
        "order.updated",
        order
        | {
            "status": "refunded",
            "refunds": [
                {"id": 730, "reason": "", "total": "-14.675"},
                {"id": 731, "reason": "", "total": "-14.675"},
            ],
        },
    )
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 0


EVENTS = ["paid", "refund_a", "refund_b"]


@pytest.mark.parametrize("arrival", list(itertools.permutations(EVENTS)))
def test_any_arrival_order_of_pay_and_refunds_gives_the_same_balance(
    arrival: tuple[str, ...], client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    order = paid_shopify_order()
    bodies = {
        "paid": ("orders/paid", order),
        "refund_a": ("refunds/create", shopify_refund(order, 7001, "100.00")),
        "refund_b": ("refunds/create", shopify_refund(order, 7002, "60.00")),
    }
    for name in arrival:
        post_shopify(client, shopify_shop, *bodies[name])
        drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 404 - 159  # floor(404 * 160 / 404.95)
    assert_cache_equals_sum(storage)


def test_replaying_every_event_changes_nothing(
    client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    order = paid_shopify_order()
    sends = [("orders/paid", order), ("refunds/create", shopify_refund(order, 7001, "89.99"))]
    for _ in range(3):
        for n, (topic, body) in enumerate(sends):
            post_shopify(client, shopify_shop, topic, body)  # new delivery id each time, as retries get
            post_shopify(client, shopify_shop, topic, body, delivery_id=f"fixed-{n}")
        drain(redis)
    view = customer_json(client, shopify_shop, JOHN)
    assert view["points"] == 404 - 89
    assert len(view["entries"]) == 2
    with storage.session() as session:
        statuses = set(session.scalars(select(WebhookEvent.status)))
    assert statuses == {"processed"}


def test_unreadable_payload_fails_the_event_with_a_reason_and_keeps_the_rest(
    client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage
) -> None:
    post_shopify(client, shopify_shop, "orders/paid", {"id": 1, "note": "no money here"})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        failed = session.scalars(select(WebhookEvent).where(WebhookEvent.status == "failed")).one()
    assert "subtotal_price" in (failed.error or "") or "currency" in (failed.error or "")
    assert customer_json(client, shopify_shop, JOHN)["points"] == 404
