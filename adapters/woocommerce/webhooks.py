"""WooCommerce webhooks: headers and payloads translated into the neutral model."""

from __future__ import annotations

import re
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
from connector.model import Customer, Order, OrderGone, Refund, Shipment, StoreEvent, language_tag

PING_BODY = re.compile(rb"^webhook_id=\d+$")
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})
ORDER_TOPICS = frozenset({"order.created", "order.updated"})
TOPICS = ORDER_TOPICS | {"order.deleted", "customer.created"}


def read_envelope(headers: Mapping[str, str], body: bytes) -> Envelope:
    """WooCommerce's ``X-WC-Webhook-*`` headers; the creation ping is an unsigned form post."""
    topic = headers.get("X-WC-Webhook-Topic")
    return Envelope(
        topic=topic,
        delivery_id=headers.get("X-WC-Webhook-Delivery-ID"),
        signature=headers.get("X-WC-Webhook-Signature"),
        is_ping=topic is None and bool(PING_BODY.fullmatch(body.strip())),
    )


def parse(topic: str, payload: dict[str, Any]) -> StoreEvent:
    """Order webhooks carry the whole order, refunds included; a deletion carries only its id."""
    if topic in ORDER_TOPICS:
        order = _order(payload)
        return StoreEvent(order=order, refunds=_refunds(payload, order), shipments=_shipments(payload, order))
    if topic == "customer.created":
        account = Customer(
            id=id_field(payload, "id"),
            email=email_field(payload.get("email")),
            first_name=text_field(payload.get("first_name"), 255),
            last_name=text_field(payload.get("last_name"), 255),
        )
        return StoreEvent(customers=(account,))
    if topic == "order.deleted":
        return StoreEvent(order_gone=OrderGone(order_id=id_field(payload, "id")))
    raise PayloadError(f"topic {topic} is not one Sadakat reads")


def _customer(payload: Mapping[str, Any]) -> Customer:
    billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
    raw_id = payload.get("customer_id")
    customer_id = None if raw_id in (None, 0, "0", "") else id_field(payload, "customer_id")
    return Customer(
        id=customer_id,
        email=email_field(billing.get("email")),
        first_name=text_field(billing.get("first_name"), 255),
        last_name=text_field(billing.get("last_name"), 255),
        locale=_order_language(payload),
    )


ORDER_LANGUAGE_KEYS = ("wpml_language", "_wpml_language", "pll_language", "_pll_language")
"""Where WPML and Polylang keep the language an order was placed in, among the order's meta data."""


def _order_language(payload: Mapping[str, Any]) -> str | None:
    for item in payload.get("meta_data") or []:
        if isinstance(item, dict) and item.get("key") in ORDER_LANGUAGE_KEYS and language_tag(item.get("value")):
            return language_tag(item.get("value"))
    return language_tag(payload.get("lang"))


def _order(payload: Mapping[str, Any]) -> Order:
    status = payload.get("status")
    currency = currency_field(payload.get("currency"))
    order_id = id_field(payload, "id")
    # A line's "total" is after discounts and before tax, whether or not prices include tax.
    merchandise = sum((decimal_field(line, "total") for line in list_field(payload, "line_items")), Decimal(0))
    return Order(
        id=order_id,
        name=text_field(str(payload.get("number") or ""), 128) or order_id,
        currency=currency,
        customer=_customer(payload),
        merchandise_amount=max(merchandise, Decimal(0)),
        total=decimal_field(payload, "total"),
        paid=status in PAID_STATUSES,
        cancelled=status == "cancelled",
        fully_refunded=status == "refunded",
        created_at=time_field(payload, "date_created_gmt"),
        discount_codes=codes_field(payload, "coupon_lines"),
        shipping_key=_shipping_key(payload.get("shipping")),
        shipping_amount=max(decimal_field(payload, "shipping_total", "0"), Decimal(0)),
        tax_amount=max(decimal_field(payload, "total_tax", "0"), Decimal(0)),
        **_exchange_rate(payload),
    )


def _exchange_rate(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The rate a multi-currency plugin recorded on the order, as what one unit of the order's currency is
    worth in the store's: WooPayments keeps order-currency units per store-currency unit
    (``_wcpay_multi_currency_order_exchange_rate``, with ``_wcpay_multi_currency_order_default_currency``);
    Aelia Currency Switcher keeps the order-to-base multiplier (``_base_currency_exchange_rate``)."""
    meta = {
        item.get("key"): item.get("value")
        for item in list_field(payload, "meta_data")
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }
    wcpay = _positive(meta.get("_wcpay_multi_currency_order_exchange_rate"))
    if wcpay is not None:
        into = meta.get("_wcpay_multi_currency_order_default_currency")
        return {
            "exchange_rate": (Decimal(1) / wcpay).quantize(Decimal("1e-12")),
            "rate_into": into.upper() if isinstance(into, str) and into.isascii() and into.isalpha() else None,
        }
    aelia = _positive(meta.get("_base_currency_exchange_rate"))
    return {"exchange_rate": aelia} if aelia is not None else {}


def _positive(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() and 0 < number < 10**9 else None


def _refunds(payload: Mapping[str, Any], order: Order) -> tuple[Refund, ...]:
    """The order's refunds. The webhook gives only each refund's total, so its merchandise share is
    taken in proportion to the order's merchandise share of its total."""
    refunds = []
    for raw in list_field(payload, "refunds"):
        refunded = abs(decimal_field(raw, "total"))
        if order.total > 0:
            merchandise = min(refunded * order.merchandise_amount / order.total, order.merchandise_amount)
        else:
            merchandise = Decimal(0)
        refunds.append(Refund(id=id_field(raw, "id"), order_id=order.id, merchandise_amount=merchandise))
    return tuple(refunds)


TRACKING_META = "_wc_shipment_tracking_items"


def _shipments(payload: Mapping[str, Any], order: Order) -> tuple[Shipment, ...]:
    """Parcels the Shipment Tracking extension keeps in the order's ``_wc_shipment_tracking_items`` meta."""
    shipments = []
    for meta in list_field(payload, "meta_data"):
        if meta.get("key") != TRACKING_META or not isinstance(meta.get("value"), list):
            continue
        for item in meta["value"]:
            if not isinstance(item, dict) or not item.get("tracking_number"):
                continue
            tracking_id = text_field(str(item.get("tracking_id") or item["tracking_number"]), 40)
            shipments.append(
                Shipment(
                    id=f"{order.id}-{tracking_id}",
                    order_id=order.id,
                    status="shipped",
                    carrier=text_field(item.get("custom_tracking_provider") or item.get("tracking_provider"), 128),
                    tracking_number=text_field(str(item["tracking_number"]), 128),
                    tracking_url=url_field(item.get("custom_tracking_link")),
                )
            )
    return tuple(shipments)


def _shipping_key(raw: Any) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    return address_key(raw.get("address_1"), raw.get("postcode"), raw.get("country"))
