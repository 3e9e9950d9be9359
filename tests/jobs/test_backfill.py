"""Backfill: orders from before the install count, once, however often it runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import responses
from click.testing import CliRunner
from flask.testing import FlaskClient
from graphql import build_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode
from redis import Redis
from sqlalchemy import func, select

from connector.cli import main
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from connector.ops.shops import change_settings
from tests.support import SHOPIFY_SCHEMA, customer_json, drain, fixture, post_woo

API = "https://woo.example.com/wp-json/wc/v3"
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
SCHEMA = SHOPIFY_SCHEMA


def run(*args: str) -> dict:
    result = CliRunner().invoke(main, ["backfill", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_woocommerce_backfill_dry_run_then_real_then_again(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    guest = fixture("woocommerce/order_created.json")
    member = guest | {"id": 900, "customer_id": 7, "billing": guest["billing"] | {"email": "m@example.com"}}
    responses.get(f"{API}/orders", json=[guest, member])

    dry = run(str(woo_shop.id), "--since", "2017-01-01", "--dry-run")
    assert dry == {
        "orders": 2,
        "events": 0,
        "already_known": 0,
        "unreadable": 0,
        "failed": 0,
        "points": 36,
        "customers": 2,
        "dry_run": True,
    }
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert (query["after"], query["orderby"]) == (["2017-01-01T00:00:00"], ["date"])

    real = run(str(woo_shop.id), "--since", "2017-01-01")
    assert (real["events"], real["points"], real["customers"]) == (2, 36, 2)
    assert customer_json(client, woo_shop, "7")["points"] == 18
    again = run(str(woo_shop.id), "--since", "2017-01-01")
    assert (again["events"], again["already_known"], again["points"]) == (0, 2, 0)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18


def test_a_dry_run_estimates_as_settling_earns_tier_multiplier_included(
    client: FlaskClient, woo_shop: Shop, storage: Storage, config: Config, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"tiers": [{"name": "Gold", "min_spend": "10", "multiplier": "3"}]})
    guest = fixture("woocommerce/order_created.json")
    member = guest | {"id": 900, "customer_id": 7, "billing": guest["billing"] | {"email": "m@example.com"}}
    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    live = member | {"id": 901, "date_created": recent, "date_created_gmt": recent}
    post_woo(client, woo_shop, "order.created", live)  # customer 7 reaches Gold live
    drain(redis)
    assert customer_json(client, woo_shop, "7")["tier"] == "Gold"
    responses.get(f"{API}/orders", json=[guest, member])
    dry = run(str(woo_shop.id), "--since", "2017-01-01", "--dry-run")
    real = run(str(woo_shop.id), "--since", "2017-01-01")
    assert dry["points"] == real["points"] == 18 + 18 * 3  # the guest at 1x, the Gold member at 3x


def node(order_id: int, status: str, **extra: object) -> dict:
    money = lambda amount: {"shopMoney": {"amount": amount, "currencyCode": "USD"}}  # noqa: E731
    return {
        "legacyResourceId": str(order_id),
        "name": f"#{order_id}",
        "createdAt": "2026-02-01T10:00:00Z",
        "updatedAt": "2026-02-02T10:00:00Z",
        "cancelledAt": None,
        "test": False,
        "email": "john@example.com",
        "taxesIncluded": False,
        "displayFinancialStatus": status,
        "discountCodes": [],
        "currencyCode": "USD",
        "subtotalPriceSet": money("200.00"),
        "totalPriceSet": money("210.00"),
        "totalShippingPriceSet": money("10.00"),
        "totalTaxSet": money("0.00"),
        "customer": {
            "legacyResourceId": "115310627314723954",
            "email": "john@example.com",
            "firstName": "John",
            "lastName": "Smith",
        },
        "refunds": [],
    } | extra


def test_shopify_backfill_pages_through_orders_with_refunds_and_cancellations(
    client: FlaskClient, offline_shopify_shop: Shop
) -> None:
    refund = {
        "legacyResourceId": "555",
        "createdAt": "2026-02-03T10:00:00Z",
        "refundLineItems": {"nodes": [{"subtotalSet": {"shopMoney": {"amount": "50.00", "currencyCode": "USD"}}}]},
    }
    pages = [
        [node(1, "PAID", refunds=[refund]), node(2, "PENDING")],
        [node(3, "PAID", cancelledAt="2026-02-04T10:00:00Z"), node(4, "PARTIALLY_REFUNDED")],
    ]
    responses.post(
        GRAPHQL, json={"data": {"orders": {"nodes": pages[0], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}}}
    )
    responses.post(
        GRAPHQL, json={"data": {"orders": {"nodes": pages[1], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    )
    summary = run(str(offline_shopify_shop.id), "--since", "2026-01-01")
    # order 1: 200 earned, 50 refunded -> 150; order 2 unpaid; order 3 cancelled -> 0; order 4: 200
    assert customer_json(client, offline_shopify_shop, "115310627314723954")["points"] == 350
    assert summary["points"] == 350

    schema = build_schema(SCHEMA.read_text(), assume_valid=True)
    for call in responses.calls:
        body = json.loads(call.request.body)
        document = parse(body["query"])
        assert validate(schema, document) == []
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        assert not isinstance(
            get_variable_values(schema, operation.variable_definitions or [], body["variables"]), list
        )
    first = json.loads(responses.calls[0].request.body)["variables"]
    assert first == {"first": 50, "after": None, "query": "created_at:>='2026-01-01T00:00:00Z'"}
    assert json.loads(responses.calls[1].request.body)["variables"]["after"] == "c1"


def test_backfill_of_an_unknown_shop_says_so() -> None:
    result = CliRunner().invoke(main, ["backfill", "999", "--since", "2026-01-01"])
    assert result.exit_code == 1 and "no shop 999" in result.output
