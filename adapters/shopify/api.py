"""Every call Sadakat makes to a Shopify store: GraphQL Admin API 2026-01.

The shop's API URL comes from the ShopifyAPI package's ``Session``. The request itself is sent with
``requests``: ``shopify.GraphQL.execute`` has no timeout (Shopify/shopify_python_api #594, #630), prints
error bodies to stdout, and reads the process-wide active session (#733), which a worker serving many
shops can't share.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import requests
import shopify

from adapters.base import PermanentStoreError, RetryableStoreError, ShopAccess, email_field, retry_after_seconds
from adapters.shopify import queries
from connector.model import CustomerSync, DiscountCode, TrackingPush

TIMEOUT_SECONDS = 15
FULFILLMENT_EVENT_STATUS = {
    "label_created": "LABEL_PURCHASED",
    "in_transit": "IN_TRANSIT",
    "out_for_delivery": "OUT_FOR_DELIVERY",
    "available_for_pickup": "READY_FOR_PICKUP",
    "attempted_delivery": "ATTEMPTED_DELIVERY",
    "delayed": "DELAYED",
    "failure": "FAILURE",
    "delivered": "DELIVERED",
    "returned": "FAILURE",  # Shopify has no "returned" event; the message says it
}


def gid(kind: str, platform_id: str) -> str:
    """A Shopify global id (``gid://shopify/Customer/123``) from a numeric id."""
    return platform_id if platform_id.startswith("gid://") else f"gid://shopify/{kind}/{platform_id}"


class ShopifyGraphQL:
    """A GraphQL Admin API client for one shop, raising typed store errors."""

    def __init__(self, shop: ShopAccess) -> None:
        token = shop.credentials.get("access_token")
        if not token:
            raise PermanentStoreError(f"shop {shop.domain} has no access token")
        session = shopify.Session(shop.domain, queries.API_VERSION, token)
        self.url = f"{session.site}/graphql.json"
        self.headers = {"X-Shopify-Access-Token": token, "Content-Type": "application/json"}

    def execute(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a document; return its ``data``. Throttling, 429, 5xx and timeouts are retryable."""
        try:
            response = requests.post(
                self.url,
                json={"query": document, "variables": variables},
                headers=self.headers,
                timeout=TIMEOUT_SECONDS,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetryableStoreError(f"Shopify did not answer: {type(exc).__name__}", 5) from None
        if response.status_code == 429:
            raise RetryableStoreError(
                "Shopify: 429 Too Many Requests",
                retry_after_seconds(response.headers.get("Retry-After"), 2.0),
                throttled=True,
            )
        if response.status_code >= 500:
            raise RetryableStoreError(
                f"Shopify: HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After"), 5.0)
            )
        try:
            body = response.json()
        except ValueError:
            raise PermanentStoreError(
                f"Shopify: HTTP {response.status_code} without JSON: {response.text[:200]}"
            ) from None
        if response.status_code >= 400:
            raise PermanentStoreError(f"Shopify: HTTP {response.status_code}: {_messages(body.get('errors'))}")
        errors = body.get("errors")
        if errors:
            if _throttled(errors):
                raise RetryableStoreError("Shopify: throttled", _throttle_wait(body), throttled=True)
            raise PermanentStoreError(f"Shopify: {_messages(errors)}")
        return body.get("data") or {}

    def mutate(self, document: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
        """Run a mutation; its ``userErrors`` are a PermanentStoreError with Shopify's messages."""
        payload = self.execute(document, variables).get(field) or {}
        user_errors = payload.get("userErrors") or []
        if user_errors:
            raise PermanentStoreError(
                "Shopify refused: "
                + "; ".join(
                    (".".join(e.get("field") or []) + ": " if e.get("field") else "") + str(e.get("message"))
                    for e in user_errors
                )
            )
        return payload


def _throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
    )


def _throttle_wait(body: dict[str, Any]) -> float:
    """Seconds until the bucket holds the requested cost again, from ``extensions.cost``."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
    except (TypeError, ValueError):
        return 2.0
    if rate <= 0:
        return 2.0
    return max(1.0, math.ceil(needed / rate))


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return str(errors)[:500]


def store_profile(shop: ShopAccess) -> tuple[str | None, str | None]:
    """The shop's own currency and its owner's e-mail (``shop { currencyCode email }``)."""
    found = ShopifyGraphQL(shop).execute(queries.SHOP_CURRENCY, {}).get("shop") or {}
    code, email = found.get("currencyCode"), found.get("email")
    currency = code if isinstance(code, str) and code.isascii() and code.isalpha() else None
    return currency, email_field(email)


def disable_discount_code(shop: ShopAccess, store_id: str) -> None:
    """``discountCodeDeactivate``: the code stays in the store's history but can't be used."""
    ShopifyGraphQL(shop).mutate(queries.DISCOUNT_CODE_DEACTIVATE, {"id": store_id}, "discountCodeDeactivate")


def find_discount_code(shop: ShopAccess, code: str) -> str | None:
    """The discount node id of ``code``, if the shop has it."""
    node = ShopifyGraphQL(shop).execute(queries.CODE_DISCOUNT_BY_CODE, {"code": code}).get("codeDiscountNodeByCode")
    return node["id"] if node else None


def discount_input(discount: DiscountCode, starts_at: datetime) -> dict[str, Any]:
    """The ``DiscountCodeBasicInput`` / ``DiscountCodeFreeShippingInput`` for a code."""
    context: dict[str, Any] = (
        {"customers": {"add": [gid("Customer", discount.customer_id)]}} if discount.customer_id else {"all": "ALL"}
    )
    data: dict[str, Any] = {
        "title": discount.title,
        "code": discount.code,
        "startsAt": starts_at.isoformat(),
        "endsAt": discount.ends_at.isoformat() if discount.ends_at else None,
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "context": context,
    }
    if discount.kind == "free_shipping":
        data["destination"] = {"all": True}
    elif discount.kind == "percentage":
        data["customerGets"] = {"value": {"percentage": float(discount.value / 100)}, "items": {"all": True}}
    else:
        data["customerGets"] = {
            "value": {"discountAmount": {"amount": str(discount.value), "appliesOnEachItem": False}},
            "items": {"all": True},
        }
    return data


def create_discount_code(shop: ShopAccess, discount: DiscountCode) -> str:
    """Create the code; amount and percentage codes are basic discounts, free shipping its own kind."""
    variables = {"discount": discount_input(discount, datetime.now(UTC))}
    if discount.kind == "free_shipping":
        payload = ShopifyGraphQL(shop).mutate(
            queries.DISCOUNT_CODE_FREE_SHIPPING_CREATE, variables, "discountCodeFreeShippingCreate"
        )
    else:
        payload = ShopifyGraphQL(shop).mutate(queries.DISCOUNT_CODE_BASIC_CREATE, variables, "discountCodeBasicCreate")
    node = payload.get("codeDiscountNode") or {}
    if not node.get("id"):
        raise PermanentStoreError("Shopify created no discount node")
    return str(node["id"])


def tracking_variables(push: TrackingPush) -> dict[str, Any]:
    """Variables for ``fulfillmentTrackingInfoUpdate``."""
    tracking: dict[str, Any] = {"number": push.tracking_number, "company": push.carrier}
    if push.tracking_url:
        tracking["url"] = push.tracking_url
    return {"fulfillmentId": gid("Fulfillment", push.shipment_id), "trackingInfo": tracking, "notifyCustomer": True}


def event_variables(push: TrackingPush) -> dict[str, Any]:
    """Variables for ``fulfillmentEventCreate``."""
    event: dict[str, Any] = {
        "fulfillmentId": gid("Fulfillment", push.shipment_id),
        "status": FULFILLMENT_EVENT_STATUS[push.status or "in_transit"],
        "message": push.message,
    }
    if push.happened_at:
        event["happenedAt"] = push.happened_at.isoformat()
    if push.estimated_delivery_at:
        event["estimatedDeliveryAt"] = push.estimated_delivery_at.isoformat()
    if push.location:
        event["city"] = push.location
    return {"event": event}


def push_tracking(shop: ShopAccess, push: TrackingPush) -> str | None:
    """New tracking details through ``fulfillmentTrackingInfoUpdate``; a status through ``fulfillmentEventCreate``."""
    client = ShopifyGraphQL(shop)
    if push.details_changed:
        client.mutate(
            queries.FULFILLMENT_TRACKING_INFO_UPDATE, tracking_variables(push), "fulfillmentTrackingInfoUpdate"
        )
    if push.status is None:
        return None
    payload = client.mutate(queries.FULFILLMENT_EVENT_CREATE, event_variables(push), "fulfillmentEventCreate")
    event = payload.get("fulfillmentEvent") or {}
    return event.get("id")


def metafields_variables(sync: CustomerSync) -> dict[str, Any]:
    """Variables for ``metafieldsSet``: points always, tier when the member has one."""
    owner = gid("Customer", sync.customer_id)
    fields = [
        {"ownerId": owner, "namespace": "sadakat", "key": "points", "type": "number_integer", "value": str(sync.points)}
    ]
    if sync.tier:
        fields.append(
            {
                "ownerId": owner,
                "namespace": "sadakat",
                "key": "tier",
                "type": "single_line_text_field",
                "value": sync.tier,
            }
        )
    return {"metafields": fields}


def tier_tag(tier: str) -> str:
    """The customer tag that marks a tier, e.g. ``sadakat-tier-gold``."""
    return "sadakat-tier-" + "-".join(tier.lower().split())


def sync_customer(shop: ShopAccess, sync: CustomerSync) -> None:
    """Metafields ``sadakat.points`` / ``sadakat.tier`` and the ``sadakat-tier-<name>`` tag."""
    client = ShopifyGraphQL(shop)
    client.mutate(queries.METAFIELDS_SET, metafields_variables(sync), "metafieldsSet")
    owner = gid("Customer", sync.customer_id)
    if sync.previous_tier and sync.previous_tier != sync.tier:
        client.mutate(queries.TAGS_REMOVE, {"id": owner, "tags": [tier_tag(sync.previous_tier)]}, "tagsRemove")
    if sync.tier:
        client.mutate(queries.TAGS_ADD, {"id": owner, "tags": [tier_tag(sync.tier)]}, "tagsAdd")


# The webhook topics Sadakat subscribes to (compliance topics are declared in shopify.app.toml).
WEBHOOK_TOPICS = (
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "FULFILLMENTS_CREATE",
    "FULFILLMENTS_UPDATE",
    "FULFILLMENT_EVENTS_CREATE",
    "CUSTOMERS_CREATE",
    "APP_UNINSTALLED",
)


def _subscriptions(client: ShopifyGraphQL) -> set[tuple[str, str]]:
    existing: set[tuple[str, str]] = set()
    after = None
    while True:
        page = client.execute(queries.WEBHOOK_SUBSCRIPTIONS, {"after": after}).get("webhookSubscriptions") or {}
        existing |= {(node["topic"], node["uri"]) for node in page.get("nodes") or []}
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return existing
        after = info.get("endCursor")


def missing_webhooks(shop: ShopAccess, uri: str) -> list[str]:
    """Topics with no subscription at ``uri`` (reading only)."""
    existing = _subscriptions(ShopifyGraphQL(shop))
    return [topic for topic in WEBHOOK_TOPICS if (topic, uri) not in existing]


def register_webhooks(shop: ShopAccess, uri: str) -> list[str]:
    """Subscribe every topic not yet subscribed at ``uri``; a reinstall adds nothing twice. Returns new ids."""
    client = ShopifyGraphQL(shop)
    existing = _subscriptions(client)
    created = []
    for topic in WEBHOOK_TOPICS:
        if (topic, uri) in existing:
            continue
        payload = client.mutate(
            queries.WEBHOOK_SUBSCRIPTION_CREATE,
            {"topic": topic, "subscription": {"uri": uri, "format": "JSON"}},
            "webhookSubscriptionCreate",
        )
        created.append((payload.get("webhookSubscription") or {}).get("id") or "")
    return created


PAID = {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}


def _money_set(node: dict[str, Any] | None) -> dict[str, Any] | None:
    money = (node or {}).get("shopMoney")
    if not money:
        return None
    return {"shop_money": {"amount": money.get("amount"), "currency_code": money.get("currencyCode")}}


def order_payloads(node: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """A GraphQL order as the webhooks that would have told us about it (paid or cancelled, then its
    refunds), in the webhook payloads' shape so one parser reads both. Unpaid, open orders give none."""
    order_id = str(node["legacyResourceId"])
    customer = node.get("customer")
    order = {
        "id": order_id,
        "name": node.get("name"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "test": node.get("test"),
        "email": node.get("email"),
        "taxes_included": node.get("taxesIncluded"),
        "financial_status": str(node.get("displayFinancialStatus") or "").lower(),
        "currency": node.get("currencyCode"),
        "subtotal_price_set": _money_set(node.get("subtotalPriceSet")),
        "total_price_set": _money_set(node.get("totalPriceSet")),
        "total_shipping_price_set": _money_set(node.get("totalShippingPriceSet")),
        "total_tax_set": _money_set(node.get("totalTaxSet")),
        "discount_codes": [{"code": code} for code in node.get("discountCodes") or []],
        "customer": None
        if not customer
        else {
            "id": str(customer["legacyResourceId"]),
            "email": customer.get("email"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
        },
        "line_items": [],
    }
    version = node.get("updatedAt") or ""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if node.get("displayFinancialStatus") in PAID:
        found.append(("orders/paid", f"order:{order_id}:{version}", order))
    if node.get("cancelledAt"):
        found.append(("orders/cancelled", f"order:{order_id}:{version}:cancelled", order))
    for refund in node.get("refunds") or []:
        lines = (refund.get("refundLineItems") or {}).get("nodes") or []
        body = {
            "id": str(refund["legacyResourceId"]),
            "order_id": order_id,
            "created_at": refund.get("createdAt"),
            "refund_line_items": [{"subtotal_set": _money_set(line.get("subtotalSet"))} for line in lines],
            "transactions": [],
            "order_adjustments": [],
        }
        found.append(("refunds/create", f"refund:{refund['legacyResourceId']}", body))
    return found


def orders_since(shop: ShopAccess, field: str, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Orders with ``field`` (created_at / updated_at) since ``since``, page by page, as webhook payloads."""
    client = ShopifyGraphQL(shop)
    search = f"{field}:>='{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    after = None
    while True:
        page = client.execute(queries.ORDERS, {"first": 50, "after": after, "query": search}).get("orders") or {}
        for node in page.get("nodes") or []:
            yield from order_payloads(node)
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def set_shop_metafield(shop: ShopAccess, key: str, value: dict[str, Any]) -> str | None:
    """``metafieldsSet`` of the JSON ``sadakat.<key>`` on the shop itself."""
    client = ShopifyGraphQL(shop)
    owner = (client.execute(queries.SHOP_ID, {}).get("shop") or {}).get("id")
    if not owner:
        raise PermanentStoreError("Shopify did not say the shop's id")
    field = {"ownerId": owner, "namespace": "sadakat", "key": key, "type": "json", "value": json.dumps(value)}
    payload = client.mutate(queries.METAFIELDS_SET, {"metafields": [field]}, "metafieldsSet")
    return next((str(m["id"]) for m in payload.get("metafields") or [] if m.get("id")), None)
