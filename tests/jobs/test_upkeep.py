"""The hourly store check: disabled WooCommerce webhooks come back, missed orders are reconciled once."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from jobs.upkeep import check_stores
from tests.support import customer_json, drain, fixture

API = "https://woo.example.com/wp-json/wc/v3"


def test_missed_orders_are_reconciled_once_and_disabled_webhooks_reenabled(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = fixture("woocommerce/order_created.json")
    other = order | {
        "id": 728,
        "number": "728",
        "billing": order["billing"] | {"email": "jane@example.com"},
        "date_modified_gmt": "2017-03-23T10:00:00",
    }
    responses.get(f"{API}/orders", json=[order, other])
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{woo_shop.id}"
    hooks = [
        {"id": n, "topic": t, "delivery_url": delivery, "status": "active"}
        for n, t in enumerate(["order.updated", "order.deleted", "customer.created"], start=50)
    ]
    hooks.append({"id": 49, "topic": "order.created", "delivery_url": delivery, "status": "disabled"})
    responses.get(f"{API}/webhooks", json=hooks)
    responses.put(f"{API}/webhooks/49", json={"id": 49, "status": "active"})

    assert check_stores() == {str(woo_shop.id): 2}
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18
    assert customer_json(client, woo_shop, "jane@example.com")["points"] == 18
    [asked] = [c for c in responses.calls if c.request.url.startswith(f"{API}/orders")]
    query = parse_qs(urlsplit(asked.request.url).query)
    assert (query["orderby"], query["order"], query["dates_are_gmt"]) == (["modified"], ["asc"], ["true"])
    assert "modified_after" in query
    assert [json.loads(c.request.body) for c in responses.calls if c.request.method == "PUT"] == [{"status": "active"}]

    assert check_stores() == {str(woo_shop.id): 0}  # the same versions again change nothing
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18
    with storage.session() as session:
        assert len(session.scalars(select(WebhookEvent)).all()) == 2


def test_one_failing_store_does_not_stop_the_check_of_others(
    woo_shop: Shop, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.get(f"{API}/orders", status=503, body="down")
    responses.post(
        "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json",
        json={"data": {"orders": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}},
    )
    assert check_stores() == {str(offline_shopify_shop.id): 0}
