"""Duplicates and reorderings, as the platforms really send them: the ledger, the outbox and what the
store was told end exactly the same, every time.

The concurrent cases go over real HTTP to the receiver and are processed by two real worker processes;
they use the sandbox store, whose "API" is our own database, so the workers can really call it.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from adapters.sandbox import SimulatedRequest
from adapters.sandbox.records import sandbox_calls
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Push, ShipmentRecord, Shop, WebhookEvent
from connector.settle import ledger
from tests.support import (
    drain,
    fixture,
    paid_shopify_order,
    post_all_at_once,
    post_shopify,
    post_woo,
    run_workers,
    sandbox_order,
    sandbox_webhook,
    shopify_headers,
    shopify_refund,
    sign,
)

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
WOO_CUSTOMER = "https://woo.example.com/wp-json/wc/v3/customers/25"
ORDER_KEY = "order:820982911946154508"


def ledger_rows(storage: Storage) -> list[tuple[str, int, str]]:
    """Every ledger entry as (kind, points, key), oldest first; checks each balance cache on the way."""
    with storage.session() as session:
        for record in session.scalars(select(CustomerRecord)):
            assert record.points == ledger.balance(session, record.id), record.key
        return [(e.kind, e.points, e.key) for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]


def outbox(storage: Storage) -> list[tuple[str, str]]:
    """Every push as (kind, status)."""
    with storage.session() as session:
        return [(p.kind, p.status) for p in session.scalars(select(Push).order_by(Push.id))]


def event_statuses(storage: Storage) -> dict[str, int]:
    with storage.session() as session:
        rows = session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all()
    return dict(rows)  # type: ignore[arg-type]


def sandbox_told(storage: Storage, kind: str) -> list[dict[str, Any]]:
    """What the sandbox store received, of one kind, in order."""
    with storage.session() as session:
        return list(
            session.scalars(
                select(sandbox_calls.c.body).where(sandbox_calls.c.kind == kind).order_by(sandbox_calls.c.id)
            )
        )


def shopify_request(shop: Shop, topic: str, payload: dict[str, Any], delivery_id: str) -> SimulatedRequest:
    body = json.dumps(payload).encode()
    return SimulatedRequest("/webhooks/shopify", shopify_headers(shop, topic, body, delivery_id), body, topic)


def test_the_same_delivery_50_times_at_once_is_one_event_one_entry_one_push(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    same = sandbox_webhook(sandbox_shop, sandbox_order("1001", "250.00"), "delivery-1")
    assert post_all_at_once(server_url, [same] * 50) == [200] * 50
    run_workers(2)
    assert event_statuses(storage) == {"processed": 1}
    assert ledger_rows(storage) == [("order", 250, "order:1001:earned")]
    assert outbox(storage) == [("customer_sync", "done")]
    assert [call["points"] for call in sandbox_told(storage, "customer_sync")] == [250]


def test_the_same_order_under_50_delivery_ids_at_once_is_one_entry_and_the_store_told_once(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = sandbox_order("1001", "250.00")
    sends = [sandbox_webhook(sandbox_shop, order, f"paid-{n}") for n in range(50)]
    assert post_all_at_once(server_url, sends) == [200] * 50
    run_workers(2)
    assert event_statuses(storage) == {"processed": 50}
    assert ledger_rows(storage) == [("order", 250, "order:1001:earned")]
    assert outbox(storage) == [("customer_sync", "done")]
    assert [call["points"] for call in sandbox_told(storage, "customer_sync")] == [250]


def test_a_shopify_order_and_its_refund_under_new_webhook_ids_each_retry(
    server_url: str, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = paid_shopify_order()
    refund = shopify_refund(order, 7001, "89.99")
    sends = [shopify_request(offline_shopify_shop, "orders/paid", order, f"paid-{n}") for n in range(50)]
    sends += [shopify_request(offline_shopify_shop, "refunds/create", refund, f"refund-{n}") for n in range(50)]
    assert post_all_at_once(server_url, sends) == [200] * 100
    run_workers(2)
    assert event_statuses(storage) == {"processed": 100}
    assert sorted(ledger_rows(storage)) == [
        ("order", 404, f"{ORDER_KEY}:earned"),
        ("refund", -89, f"{ORDER_KEY}:reversed-to:89"),
    ]
    assert outbox(storage) == []  # this shop doesn't have members written back


def test_woocommerce_order_updated_four_times_for_one_change_earns_and_syncs_once(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.put(WOO_CUSTOMER, json={"id": 25, "meta_data": []})
    order = fixture("woocommerce/order_created.json") | {"customer_id": 25}
    post_woo(client, woo_shop, "order.created", order | {"status": "pending"})
    drain(redis)
    for _ in range(4):  # WooCommerce fires order.updated several times for one save, each a new delivery
        assert post_woo(client, woo_shop, "order.updated", order).status_code == 200
    drain(redis)
    assert event_statuses(storage) == {"processed": 5}
    assert ledger_rows(storage) == [("order", 18, "order:727:earned")]
    assert outbox(storage) == [("customer_sync", "done")]
    sent = [json.loads(call.request.body)["meta_data"] for call in responses.calls]
    assert [meta[0] for meta in sent] == [{"key": "sadakat_points", "value": "18"}]


def metafields_ok() -> None:
    """Shopify answers every member write-back (metafieldsSet) with success."""
    responses.post(
        GRAPHQL,
        json={"data": {"metafieldsSet": {"metafields": [{"id": "gid://shopify/Metafield/1"}], "userErrors": []}}},
    )


def points_written_back() -> list[int]:
    """The points each member write-back to Shopify carried, in order."""
    bodies = [json.loads(call.request.body) for call in responses.calls]
    return [int(b["variables"]["metafields"][0]["value"]) for b in bodies if "metafieldsSet" in b["query"]]


def test_refund_before_paid_ends_with_exactly_the_entries_of_paid_then_refund(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    metafields_ok()
    order = paid_shopify_order()
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 7001, "89.99"))
    drain(redis)
    assert ledger_rows(storage) == []
    post_shopify(client, shopify_shop, "orders/paid", order)
    drain(redis)
    assert [(kind, points) for kind, points, _ in ledger_rows(storage)] == [("order", 404), ("refund", -89)]
    assert outbox(storage) == [("customer_sync", "done")]
    assert points_written_back()[-1] == 404 - 89
    assert min(points_written_back()) >= 0


def test_cancel_before_paid_never_earns_and_the_store_never_shows_points(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    metafields_ok()
    post_shopify(client, shopify_shop, "orders/cancelled", fixture("shopify/orders_create.json"))
    drain(redis)
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert ledger_rows(storage) == []
    assert set(points_written_back()) <= {0}
    assert {status for _, status in outbox(storage)} <= {"done"}


PROGRESS = ["label_created", "in_transit", "out_for_delivery", "delivered"]
SHOPIFY_NAMES = {"LABEL_PURCHASED": "label_created", "IN_TRANSIT": "in_transit"} | {
    "OUT_FOR_DELIVERY": "out_for_delivery",
    "DELIVERED": "delivered",
}
HAPPENED = {status: f"2022-01-0{n + 2}T10:00:00Z" for n, status in enumerate(PROGRESS)}


def carrier_news(client: FlaskClient, shop: Shop, status: str) -> None:
    """The carrier's signed news about the sample fulfillment's parcel."""
    body = json.dumps({"tracking_number": "1z827wk74630", "status": status, "happened_at": HAPPENED[status]}).encode()
    headers = {"Content-Type": "application/json", "X-Sadakat-Signature": sign(body, shop.carrier_secret or "")}
    assert client.post(f"/webhooks/carrier/{shop.id}", data=body, headers=headers).status_code == 200


def test_fulfillment_update_before_its_create_keeps_the_newer_state_and_tells_the_store_nothing(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    sample = fixture("shopify/fulfillments_create.json")
    newer = sample | {"shipment_status": "delivered", "updated_at": "2022-01-05T00:00:00-05:00"}
    post_shopify(client, shopify_shop, "fulfillments/update", newer)
    drain(redis)
    post_shopify(client, shopify_shop, "fulfillments/create", sample)
    drain(redis)
    with storage.session() as session:
        [shipment] = session.scalars(select(ShipmentRecord)).all()
    assert (shipment.shipment_id, shipment.tracking_number, shipment.shipment_status) == (
        "123456",
        "1z827wk74630",
        "delivered",
    )
    carrier_news(client, shopify_shop, "in_transit")
    drain(redis)
    assert outbox(storage) == []  # Shopify made those changes itself, and late news is old news
    assert [c.request.body for c in responses.calls] == []


@pytest.mark.parametrize("arrival", list(itertools.permutations(PROGRESS)))
def test_carrier_news_in_any_order_is_told_once_each_and_never_backwards(
    arrival: tuple[str, ...], client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    statuses_sent: list[str] = []

    def fulfillment_event(request: Any) -> tuple[int, dict[str, str], str]:
        status = json.loads(request.body)["variables"]["event"]["status"]
        statuses_sent.append(SHOPIFY_NAMES[status])
        answer = {"fulfillmentEvent": {"id": f"gid://shopify/FulfillmentEvent/{len(statuses_sent)}", "status": status}}
        return 200, {}, json.dumps({"data": {"fulfillmentEventCreate": answer | {"userErrors": []}}})

    responses.add_callback(responses.POST, GRAPHQL, callback=fulfillment_event)
    post_shopify(client, shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    for status in arrival:
        carrier_news(client, shopify_shop, status)
        drain(redis)
    positions = [PROGRESS.index(status) for status in statuses_sent]
    assert positions == sorted(set(positions)), f"told {statuses_sent}"  # forwards only, each once
    assert statuses_sent[-1] == "delivered" and statuses_sent[0] == arrival[0]
    assert outbox(storage) == [("tracking", "done")] * len(statuses_sent)
