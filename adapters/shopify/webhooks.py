"""Shopify webhooks: headers and payloads translated into the neutral model."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.base import (
    Envelope,
    PayloadError,
    address_key,
    codes_field,
    currency_field,
    decimal_field,
    email_field,
    id_field,
    list_field,
    text_field,
    time_field,
    url_field,
)
from connector.model import Customer, Lifecycle, Order, Refund, Shipment, ShipmentStatus, StoreEvent, language_tag

PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
ORDER_TOPICS = frozenset({"orders/paid", "orders/cancelled"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
LIFECYCLE_TOPICS = {
    "app/uninstalled": "uninstalled",
    "customers/redact": "customer_redact",
    "customers/data_request": "customer_data_request",
    "shop/redact": "shop_redact",
}
TOPICS = (
    ORDER_TOPICS
    | FULFILLMENT_TOPICS
    | {"refunds/create", "fulfillment_events/create", "customers/create"}
    | set(LIFECYCLE_TOPICS)
)
# Shopify's shipment / fulfillment event statuses, as the neutral tracking statuses.
TRACKING_STATUS = {
    "label_printed": "label_created",
    "label_purchased": "label_created",
    "confirmed": "label_created",
    "carrier_picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "ready_for_pickup": "available_for_pickup",
    "attempted_delivery": "attempted_delivery",
    "delayed": "delayed",
    "failure": "failure",
    "delivered": "delivered",
}


def read_envelope(headers: Mapping[str, str]) -> Envelope:
    """Shopify's ``X-Shopify-*`` headers."""
    domain = headers.get("X-Shopify-Shop-Domain")
    return Envelope(
        topic=headers.get("X-Shopify-Topic"),
        delivery_id=headers.get("X-Shopify-Webhook-Id"),
        signature=headers.get("X-Shopify-Hmac-Sha256"),
        shop_domain=domain.strip().lower() if domain else None,
    )


def parse(topic: str, payload: dict[str, Any]) -> StoreEvent:
    """Orders, refunds and fulfillments into the neutral model."""
    if topic in ORDER_TOPICS:
        return StoreEvent(order=_order(payload, paid_topic=topic == "orders/paid"))
    if topic == "refunds/create":
        return StoreEvent(refunds=(_refund(payload),))
    if topic == "customers/create":
        account = Customer(
            id=id_field(payload, "id"),
            email=email_field(payload.get("email")),
            first_name=text_field(payload.get("first_name"), 255),
            last_name=text_field(payload.get("last_name"), 255),
            locale=language_tag(payload.get("locale")),
        )
        return StoreEvent(customers=(account,))
    if topic in FULFILLMENT_TOPICS:
        return StoreEvent(shipments=(_shipment(payload),))
    if topic in LIFECYCLE_TOPICS:
        customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
        orders = payload.get("orders_to_redact") or payload.get("orders_requested") or []
        request = payload.get("data_request") if isinstance(payload.get("data_request"), dict) else {}
        return StoreEvent(
            lifecycle=Lifecycle(
                kind=LIFECYCLE_TOPICS[topic],
                customer_id=str(customer["id"]) if customer.get("id") is not None else None,
                email=email_field(customer.get("email")),
                order_ids=tuple(str(o) for o in orders if isinstance(o, int | str))[:1000],
                request_id=str(request["id"]) if request.get("id") is not None else None,
            )
        )
    if topic == "fulfillment_events/create":
        status = TRACKING_STATUS.get(str(payload.get("status") or "").lower())
        if status is None:
            return StoreEvent()
        news = ShipmentStatus(
            shipment_id=id_field(payload, "fulfillment_id"),
            order_id=id_field(payload, "order_id"),
            status=status,
            happened_at=time_field(payload, "happened_at"),
        )
        return StoreEvent(shipment_statuses=(news,))
    raise PayloadError(f"topic {topic} is not one Sadakat reads")


def shop_money(obj: Mapping[str, Any], name: str) -> Decimal:
    """The shop-currency amount of a ``*_set`` field, falling back to the plain field."""
    money_set = obj.get(f"{name}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        return decimal_field(money_set["shop_money"], "amount")
    return decimal_field(obj, name)


def _shop_currency(payload: Mapping[str, Any]) -> str:
    money_set = payload.get("subtotal_price_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        code = money_set["shop_money"].get("currency_code")
        if code:
            return currency_field(code)
    return currency_field(payload.get("currency"))


def _customer(payload: Mapping[str, Any]) -> Customer:
    raw = payload.get("customer")
    fallback_email = email_field(payload.get("email")) or email_field(payload.get("contact_email"))
    if isinstance(raw, dict) and raw.get("id") is not None:
        return Customer(
            id=id_field(raw, "id"),
            email=email_field(raw.get("email")) or fallback_email,
            first_name=text_field(raw.get("first_name"), 255),
            last_name=text_field(raw.get("last_name"), 255),
            locale=language_tag(payload.get("customer_locale")) or language_tag(raw.get("locale")),
        )
    billing = payload.get("billing_address") if isinstance(payload.get("billing_address"), dict) else {}
    return Customer(
        id=None,
        email=fallback_email,
        first_name=text_field(billing.get("first_name"), 255),
        last_name=text_field(billing.get("last_name"), 255),
        locale=language_tag(payload.get("customer_locale")),
    )


def _merchandise_amount(payload: Mapping[str, Any]) -> Decimal:
    """Subtotal after discounts: Shopify's excludes shipping, and tax unless taxes are included."""
    amount = shop_money(payload, "subtotal_price")
    if payload.get("taxes_included"):
        for line in list_field(payload, "line_items"):
            for tax in list_field(line, "tax_lines"):
                amount -= shop_money(tax, "price")
    return max(amount, Decimal(0))


def _order(payload: Mapping[str, Any], *, paid_topic: bool) -> Order:
    financial_status = payload.get("financial_status")
    order_id = id_field(payload, "id")
    return Order(
        id=order_id,
        name=text_field(payload.get("name"), 128) or order_id,
        currency=_shop_currency(payload),
        in_shop_currency=True,  # shop_money amounts are in the shop's currency by definition
        customer=_customer(payload),
        merchandise_amount=_merchandise_amount(payload),
        total=shop_money(payload, "total_price"),
        paid=paid_topic or financial_status in PAID_STATUSES,
        cancelled=bool(payload.get("cancelled_at")),
        fully_refunded=financial_status == "refunded",
        test=bool(payload.get("test")),
        created_at=time_field(payload, "created_at"),
        discount_codes=codes_field(payload, "discount_codes"),
        shipping_key=_shipping_key(payload.get("shipping_address")),
        shipping_amount=_optional_money(payload, "total_shipping_price"),
        tax_amount=_optional_money(payload, "total_tax"),
    )


def _optional_money(payload: Mapping[str, Any], name: str) -> Decimal:
    if payload.get(f"{name}_set") is None and payload.get(name) is None:
        return Decimal(0)
    return max(shop_money(payload, name), Decimal(0))


def _refund(payload: Mapping[str, Any]) -> Refund:
    """The merchandise part of a refund: its line items' subtotals, else its money less shipping refunded."""
    lines = list_field(payload, "refund_line_items")
    if lines:
        amount = sum((shop_money(line, "subtotal") for line in lines), Decimal(0))
    else:
        amount = sum(
            (
                decimal_field(tx, "amount")
                for tx in list_field(payload, "transactions")
                if tx.get("kind") == "refund" and tx.get("status") == "success"
            ),
            Decimal(0),
        )
        for adjustment in list_field(payload, "order_adjustments"):
            if adjustment.get("kind") == "shipping_refund":
                amount += shop_money(adjustment, "amount")  # negative: shipping handed back
    return Refund(
        id=id_field(payload, "id"),
        order_id=id_field(payload, "order_id"),
        merchandise_amount=max(amount, Decimal(0)),
        created_at=time_field(payload, "created_at"),
    )


def _shipment(payload: Mapping[str, Any]) -> Shipment:
    numbers = payload.get("tracking_numbers")
    urls = payload.get("tracking_urls")
    number = payload.get("tracking_number") or (numbers[0] if isinstance(numbers, list) and numbers else None)
    url = payload.get("tracking_url") or (urls[0] if isinstance(urls, list) and urls else None)
    return Shipment(
        id=id_field(payload, "id"),
        order_id=id_field(payload, "order_id"),
        status=text_field(payload.get("status"), 32) or "pending",
        carrier=text_field(payload.get("tracking_company"), 128),
        tracking_number=text_field(number, 128),
        tracking_url=url_field(url),
        shipment_status=TRACKING_STATUS.get(str(payload.get("shipment_status") or "").lower()),
        updated_at=time_field(payload, "updated_at"),
    )


def _shipping_key(raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    return address_key(raw.get("address1"), raw.get("zip"), raw.get("country_code") or raw.get("country"))
