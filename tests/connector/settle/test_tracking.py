"""Parcel news from carriers, told to the store once per status and never backwards."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.settle.tracking import is_news
from tests.support import fixture, post_shopify, post_woo, sign

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
WOO_NOTES = "https://woo.example.com/wp-json/wc/v3/orders/727/notes"
NUMBER = "1z827wk74630"


def carrier(client: FlaskClient, shop: Shop, status: str, at: str, **extra: Any) -> Any:
    body = json.dumps(
        {"tracking_number": NUMBER, "carrier": "UPS", "status": status, "happened_at": at} | extra
    ).encode()
    headers = {"Content-Type": "application/json", "X-Sadakat-Signature": sign(body, shop.carrier_secret or "")}
    return client.post(f"/webhooks/carrier/{shop.id}", data=body, headers=headers)


def told(storage: Storage) -> list[str | None]:
    with storage.session() as session:
        return [
            p.payload["status"] for p in session.scalars(select(Push).where(Push.kind == "tracking").order_by(Push.id))
        ]


def event_ok(status: str) -> dict[str, Any]:
    return {
        "data": {
            "fulfillmentEventCreate": {
                "fulfillmentEvent": {"id": "gid://shopify/FulfillmentEvent/1", "status": status},
                "userErrors": [],
            }
        }
    }


@pytest.fixture
def shipped(client: FlaskClient, shopify_shop: Shop, redis: Redis) -> Shop:
    from tests.support import drain

    post_shopify(client, shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    return shopify_shop


def test_carrier_update_needs_the_shops_carrier_signature(client: FlaskClient, shopify_shop: Shop) -> None:
    body = json.dumps({"tracking_number": NUMBER, "status": "in_transit"}).encode()
    assert (
        client.post(
            f"/webhooks/carrier/{shopify_shop.id}", data=body, headers={"X-Sadakat-Signature": sign(body, "wrong")}
        ).status_code
        == 401
    )
    assert (
        client.post("/webhooks/carrier/999", data=body, headers={"X-Sadakat-Signature": sign(body, "x")}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "lost_in_space"}, "status must be one of"),
        ({"tracking_number": ""}, "tracking_number"),
        ({"happened_at": "yesterday"}, "ISO 8601"),
        ({"happened_at": "2022-01-05T10:00:00"}, "time zone"),
        ({"tracking_url": "javascript:alert(1)"}, "http(s)"),
    ],
)
def test_bad_carrier_update_is_400_with_a_reason(
    client: FlaskClient, shopify_shop: Shop, change: dict, reason: str
) -> None:
    fields = {"status": "in_transit", "at": "2022-01-02T10:00:00Z"} | dict(change)
    response = carrier(client, shopify_shop, fields.pop("status"), fields.pop("at"), **fields)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]


def test_each_status_is_told_once_and_never_backwards(
    client: FlaskClient, shipped: Shop, storage: Storage, redis: Redis
) -> None:
    from tests.support import drain

    responses.post(GRAPHQL, json=event_ok("IN_TRANSIT"))
    responses.post(GRAPHQL, json=event_ok("DELIVERED"))
    carrier(client, shipped, "in_transit", "2022-01-02T10:00:00Z")
    carrier(client, shipped, "in_transit", "2022-01-02T10:00:00Z")  # the carrier repeats itself
    carrier(client, shipped, "delivered", "2022-01-04T10:00:00Z")
    carrier(client, shipped, "out_for_delivery", "2022-01-03T10:00:00Z")  # arrives late
    carrier(client, shipped, "delayed", "2022-01-03T11:00:00Z")  # a problem after delivery means nothing
    drain(redis)
    assert told(storage) == ["in_transit", "delivered"]
    sent = [json.loads(c.request.body)["variables"]["event"] for c in responses.calls]
    assert [(e["status"], e["fulfillmentId"]) for e in sent] == [
        ("IN_TRANSIT", "gid://shopify/Fulfillment/123456"),
        ("DELIVERED", "gid://shopify/Fulfillment/123456"),
    ]
    with storage.session() as session:
        assert {p.status for p in session.scalars(select(Push))} == {"done"}


def test_news_before_the_store_ships_waits_and_is_told_in_the_order_it_happened(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    from tests.support import drain

    carrier(client, shopify_shop, "out_for_delivery", "2022-01-03T08:00:00Z")
    carrier(client, shopify_shop, "in_transit", "2022-01-02T08:00:00Z")
    carrier(client, shopify_shop, "label_created", "2022-01-01T08:00:00Z")
    drain(redis)
    assert told(storage) == []
    post_shopify(client, shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    assert told(storage) == ["label_created", "in_transit", "out_for_delivery"]


def test_what_the_store_already_knows_isnt_told_back(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    from tests.support import drain

    delivered = fixture("shopify/fulfillments_create.json") | {"shipment_status": "delivered"}
    post_shopify(client, shopify_shop, "fulfillments/update", delivered)
    drain(redis)
    carrier(client, shopify_shop, "in_transit", "2022-01-02T10:00:00Z")
    carrier(client, shopify_shop, "delivered", "2022-01-04T10:00:00Z")
    drain(redis)
    assert told(storage) == []


def test_shopify_fulfillment_events_move_the_parcel_on(
    client: FlaskClient, shipped: Shop, storage: Storage, redis: Redis
) -> None:
    from tests.support import drain

    post_shopify(
        client,
        shipped,
        "fulfillment_events/create",
        {
            "id": 1,
            "fulfillment_id": 123456,
            "order_id": 820982911946154508,
            "status": "out_for_delivery",
            "happened_at": "2022-01-03T10:00:00-05:00",
        },
    )
    drain(redis)
    carrier(client, shipped, "in_transit", "2022-01-02T10:00:00Z")
    drain(redis)
    assert told(storage) == []


def test_new_carrier_link_updates_the_tracking_details_first(
    client: FlaskClient, shipped: Shop, storage: Storage, redis: Redis
) -> None:
    from tests.support import drain

    responses.post(
        GRAPHQL,
        json={
            "data": {
                "fulfillmentTrackingInfoUpdate": {
                    "fulfillment": {"id": "gid://shopify/Fulfillment/123456"},
                    "userErrors": [],
                }
            }
        },
    )
    responses.post(GRAPHQL, json=event_ok("IN_TRANSIT"))
    carrier(client, shipped, "in_transit", "2022-01-02T10:00:00Z", tracking_url="https://track.example/1z827wk74630")
    drain(redis)
    update, event = (json.loads(c.request.body) for c in responses.calls)
    assert update["variables"]["trackingInfo"]["url"] == "https://track.example/1z827wk74630"
    assert event["variables"]["event"]["status"] == "IN_TRANSIT"


def test_woocommerce_customer_gets_a_turkish_note_when_the_store_speaks_turkish(
    client: FlaskClient, storage: Storage, redis: Redis, config: Any
) -> None:
    from connector.ops.shops import register_shop
    from tests.support import WOO_SECRET, drain

    shop = register_shop(
        storage,
        config,
        "woocommerce",
        "https://woo.example.com",
        {"consumer_key": "ck", "consumer_secret": "cs"},
        WOO_SECRET,
        {"locale": "tr"},
    )
    order = fixture("woocommerce/order_created.json")
    order["meta_data"].append(
        {
            "id": 9,
            "key": "_wc_shipment_tracking_items",
            "value": [
                {
                    "tracking_provider": "",
                    "custom_tracking_provider": "Aras Kargo",
                    "custom_tracking_link": "",
                    "tracking_number": NUMBER,
                    "date_shipped": "1648771200",
                    "tracking_id": "a1b2c3",
                }
            ],
        }
    )
    post_woo(client, shop, "order.updated", order)
    drain(redis)
    responses.post(WOO_NOTES, json={"id": 281, "customer_note": True}, status=201)
    response = carrier(client, shop, "delayed", "2022-01-03T10:00:00+03:00", carrier="Aras Kargo", location="İstanbul")
    assert response.status_code == 200
    drain(redis)
    [call] = responses.calls
    assert json.loads(call.request.body) == {
        "note": "727 numaralı siparişiniz gecikiyor. Özür dileriz, yakından takip ediyoruz. Son konum: İstanbul.",
        "customer_note": True,
    }


@pytest.mark.parametrize(
    ("status", "progress", "news"),
    [
        ("in_transit", None, True),
        ("in_transit", "delivered", False),
        ("delivered", "in_transit", True),
        ("returned", "delivered", True),
        ("delayed", "in_transit", True),
        ("failure", "delivered", False),
        ("label_created", "in_transit", False),
    ],
)
def test_what_counts_as_news(status: str, progress: str | None, news: bool) -> None:
    assert is_news(status, progress) is news
