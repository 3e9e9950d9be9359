"""Calls to Shopify's GraphQL Admin API: documents valid against the real 2026-01 schema, bodies as
Shopify documents them, and errors typed so only the retryable ones are retried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from graphql import GraphQLSchema, build_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode

from adapters import get_adapter
from adapters.base import PermanentStoreError, RetryableStoreError, ShopAccess
from adapters.shopify import queries
from connector.model import CustomerSync, DiscountCode, TrackingPush
from tests.support import SHOPIFY_SCHEMA

SCHEMA_FILE = SHOPIFY_SCHEMA
URL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
SHOP = ShopAccess(
    shop_id=1,
    domain="sadakat-test.myshopify.com",
    base_url="https://sadakat-test.myshopify.com",
    credentials={"access_token": "shpat_test"},
)
shopify = get_adapter("shopify")
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 10,
    "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0},
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text(), assume_valid=True)


def assert_valid_request(schema: GraphQLSchema, call: Any) -> dict[str, Any]:
    """The request Shopify received: its document valid against the schema, its variables of the right shapes."""
    body = json.loads(call.request.body)
    document = parse(body["query"])
    assert validate(schema, document) == []
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(schema, operation.variable_definitions or [], body["variables"])
    assert not isinstance(coerced, list), [str(e) for e in coerced]
    assert call.request.headers["X-Shopify-Access-Token"] == "shpat_test"
    return body


def ok(field: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"data": {field: payload | {"userErrors": []}}, "extensions": {"cost": COST}}


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_every_document_is_valid_against_the_2026_01_schema(schema: GraphQLSchema, name: str) -> None:
    assert validate(schema, parse(queries.ALL_DOCUMENTS[name])) == []


def discount(**changes: Any) -> DiscountCode:
    values: dict[str, Any] = {
        "code": "SDK-ABCD2345EF",
        "kind": "fixed_amount",
        "value": Decimal("5.00"),
        "title": "Sadakat gift",
        "customer_id": "115310627314723954",
        "email": "john@example.com",
        "ends_at": datetime(2027, 1, 1, tzinfo=UTC),
    }
    return DiscountCode(**(values | changes))


@responses.activate
def test_amount_code_is_single_use_and_bound_to_the_customer(schema: GraphQLSchema) -> None:
    node = {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1057371235"}}
    responses.post(URL, json=ok("discountCodeBasicCreate", node))
    assert shopify.create_discount_code(SHOP, discount()) == "gid://shopify/DiscountCodeNode/1057371235"
    sent = assert_valid_request(schema, responses.calls[0])["variables"]["discount"]
    assert sent["code"] == "SDK-ABCD2345EF"
    assert sent["usageLimit"] == 1 and sent["appliesOncePerCustomer"] is True
    assert sent["context"] == {"customers": {"add": ["gid://shopify/Customer/115310627314723954"]}}
    assert sent["customerGets"]["value"] == {"discountAmount": {"amount": "5.00", "appliesOnEachItem": False}}
    assert sent["endsAt"] == "2027-01-01T00:00:00+00:00"


@responses.activate
def test_percentage_code_sends_a_fraction(schema: GraphQLSchema) -> None:
    responses.post(
        URL, json=ok("discountCodeBasicCreate", {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/2"}})
    )
    shopify.create_discount_code(SHOP, discount(kind="percentage", value=Decimal(15), customer_id=None))
    sent = assert_valid_request(schema, responses.calls[0])["variables"]["discount"]
    assert sent["customerGets"]["value"] == {"percentage": 0.15}
    assert sent["context"] == {"all": "ALL"}


@responses.activate
def test_free_shipping_code_uses_its_own_mutation(schema: GraphQLSchema) -> None:
    responses.post(
        URL, json=ok("discountCodeFreeShippingCreate", {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/3"}})
    )
    shopify.create_discount_code(SHOP, discount(kind="free_shipping", value=Decimal(0)))
    body = assert_valid_request(schema, responses.calls[0])
    assert "discountCodeFreeShippingCreate" in body["query"]
    assert body["variables"]["discount"]["destination"] == {"all": True}


@responses.activate
def test_lookup_by_code_finds_or_not(schema: GraphQLSchema) -> None:
    responses.post(URL, json={"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/9"}}})
    responses.post(URL, json={"data": {"codeDiscountNodeByCode": None}})
    assert shopify.find_discount_code(SHOP, "SDK-X") == "gid://shopify/DiscountCodeNode/9"
    assert shopify.find_discount_code(SHOP, "SDK-Y") is None
    assert_valid_request(schema, responses.calls[0])


@responses.activate
def test_user_errors_are_permanent_with_shopifys_message() -> None:
    errors = [
        {
            "field": ["basicCodeDiscount", "code"],
            "code": "TAKEN",
            "message": "Code must be unique. Please try a different code.",
        }
    ]
    responses.post(URL, json={"data": {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": errors}}})
    with pytest.raises(PermanentStoreError, match=r"basicCodeDiscount\.code: Code must be unique"):
        shopify.create_discount_code(SHOP, discount())


@responses.activate
def test_throttled_is_retryable_after_the_restore_time() -> None:
    throttled = {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 752,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0},
            }
        },
    }
    responses.post(URL, json=throttled)
    with pytest.raises(RetryableStoreError) as caught:
        shopify.create_discount_code(SHOP, discount())
    assert caught.value.wait_seconds == 2  # (752 - 666) / 50 = 1.72, rounded up


@responses.activate
def test_429_honours_retry_after() -> None:
    responses.post(URL, status=429, headers={"Retry-After": "7.0"}, json={"errors": "Exceeded 2 calls per second"})
    with pytest.raises(RetryableStoreError) as caught:
        shopify.find_discount_code(SHOP, "SDK-X")
    assert caught.value.wait_seconds == 7


@pytest.mark.parametrize("failure", [503, 502, requests.ConnectTimeout("slow"), requests.ConnectionError("down")])
@responses.activate
def test_server_errors_and_timeouts_are_retryable(failure: Any) -> None:
    if isinstance(failure, int):
        responses.post(URL, status=failure, body="Service Unavailable")
    else:
        responses.post(URL, body=failure)
    with pytest.raises(RetryableStoreError):
        shopify.find_discount_code(SHOP, "SDK-X")


@responses.activate
def test_bad_token_is_permanent() -> None:
    responses.post(
        URL, status=401, json={"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    )
    with pytest.raises(PermanentStoreError, match="Invalid API key"):
        shopify.find_discount_code(SHOP, "SDK-X")


def tracking(**changes: Any) -> TrackingPush:
    values: dict[str, Any] = {
        "order_id": "820982911946154508",
        "shipment_id": "123456",
        "tracking_number": "1z827wk74630",
        "carrier": "UPS",
        "tracking_url": "https://www.ups.com/track?tracknum=1z827wk74630",
        "status": "delivered",
        "message": "Your order has been delivered.",
        "happened_at": datetime(2022, 1, 5, 12, tzinfo=UTC),
    }
    return TrackingPush(**(values | changes))


@responses.activate
def test_status_is_a_fulfillment_event(schema: GraphQLSchema) -> None:
    responses.post(
        URL,
        json=ok(
            "fulfillmentEventCreate",
            {"fulfillmentEvent": {"id": "gid://shopify/FulfillmentEvent/1", "status": "DELIVERED"}},
        ),
    )
    assert shopify.push_tracking(SHOP, tracking()) == "gid://shopify/FulfillmentEvent/1"
    [call] = responses.calls
    event = assert_valid_request(schema, call)["variables"]["event"]
    assert event["fulfillmentId"] == "gid://shopify/Fulfillment/123456"
    assert (event["status"], event["message"]) == ("DELIVERED", "Your order has been delivered.")
    assert event["happenedAt"] == "2022-01-05T12:00:00+00:00"


@responses.activate
def test_changed_tracking_details_are_updated_before_the_event(schema: GraphQLSchema) -> None:
    responses.post(
        URL, json=ok("fulfillmentTrackingInfoUpdate", {"fulfillment": {"id": "gid://shopify/Fulfillment/123456"}})
    )
    responses.post(
        URL,
        json=ok(
            "fulfillmentEventCreate",
            {"fulfillmentEvent": {"id": "gid://shopify/FulfillmentEvent/2", "status": "IN_TRANSIT"}},
        ),
    )
    shopify.push_tracking(SHOP, tracking(status="in_transit", details_changed=True))
    first, second = (assert_valid_request(schema, c) for c in responses.calls)
    assert first["variables"]["trackingInfo"] == {
        "number": "1z827wk74630",
        "company": "UPS",
        "url": "https://www.ups.com/track?tracknum=1z827wk74630",
    }
    assert first["variables"]["notifyCustomer"] is True
    assert second["variables"]["event"]["status"] == "IN_TRANSIT"


@responses.activate
def test_customer_sync_sets_metafields_and_moves_the_tier_tag(schema: GraphQLSchema) -> None:
    responses.post(URL, json=ok("metafieldsSet", {"metafields": [{"id": "gid://shopify/Metafield/1"}]}))
    responses.post(URL, json=ok("tagsRemove", {}))
    responses.post(URL, json=ok("tagsAdd", {}))
    shopify.sync_customer(
        SHOP, CustomerSync(customer_id="115310627314723954", points=404, tier="Gold", previous_tier="Silver")
    )
    metafields, removed, added = (assert_valid_request(schema, c)["variables"] for c in responses.calls)
    assert metafields["metafields"] == [
        {
            "ownerId": "gid://shopify/Customer/115310627314723954",
            "namespace": "sadakat",
            "key": "points",
            "type": "number_integer",
            "value": "404",
        },
        {
            "ownerId": "gid://shopify/Customer/115310627314723954",
            "namespace": "sadakat",
            "key": "tier",
            "type": "single_line_text_field",
            "value": "Gold",
        },
    ]
    assert removed["tags"] == ["sadakat-tier-silver"]
    assert added["tags"] == ["sadakat-tier-gold"]


@responses.activate
def test_webhook_registration_sends_valid_documents_and_skips_existing(schema: GraphQLSchema) -> None:
    from adapters.shopify import api

    uri = "https://sadakat.example/webhooks/shopify"
    existing = [
        {"id": f"gid://shopify/WebhookSubscription/{n}", "topic": t, "uri": uri}
        for n, t in enumerate(api.WEBHOOK_TOPICS[:-1])
    ]
    responses.post(
        URL,
        json={
            "data": {
                "webhookSubscriptions": {"nodes": existing[:3], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}
            }
        },
    )
    responses.post(
        URL,
        json={
            "data": {
                "webhookSubscriptions": {"nodes": existing[3:], "pageInfo": {"hasNextPage": False, "endCursor": None}}
            }
        },
    )
    responses.post(
        URL,
        json=ok("webhookSubscriptionCreate", {"webhookSubscription": {"id": "gid://shopify/WebhookSubscription/99"}}),
    )
    assert api.register_webhooks(SHOP, uri) == ["gid://shopify/WebhookSubscription/99"]
    bodies = [assert_valid_request(schema, c) for c in responses.calls]
    assert bodies[1]["variables"] == {"after": "c1"}
    assert bodies[2]["variables"] == {"topic": "APP_UNINSTALLED", "subscription": {"uri": uri, "format": "JSON"}}
