"""An order's amounts in the shop's own currency, at the rate the store recorded on the order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from connector.model import StoreEvent

CENT = Decimal("0.01")


class CurrencyUnknown(ValueError):
    """An order is in another currency than the shop's and records no rate to convert it: it earns nothing
    until someone sees to it."""


def in_shop_currency(event: StoreEvent, shop_currency: str) -> StoreEvent:
    """``event`` with its order's (and the order's refunds') amounts in the shop's currency, at the rate
    recorded on the order; CurrencyUnknown if the order is in another currency and records none."""
    order = event.order
    if order is None or order.currency == shop_currency:
        return event
    rate = order.exchange_rate
    if rate is None or (order.rate_into is not None and order.rate_into != shop_currency):
        raise CurrencyUnknown(
            f"order {order.name} is in {order.currency}, the shop's currency is {shop_currency}, and the order "
            f"records no exchange rate into {shop_currency}: it earns no points until its currency is sorted out"
        )

    def convert(amount: Decimal) -> Decimal:
        return (amount * rate).quantize(CENT)

    converted = replace(
        order,
        currency=shop_currency,
        merchandise_amount=convert(order.merchandise_amount),
        total=convert(order.total),
        shipping_amount=convert(order.shipping_amount),
        tax_amount=convert(order.tax_amount),
    )
    refunds = tuple(
        replace(r, merchandise_amount=convert(r.merchandise_amount)) if r.order_id == order.id else r
        for r in event.refunds
    )
    return replace(event, order=converted, refunds=refunds)
