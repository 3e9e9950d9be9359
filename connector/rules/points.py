"""The loyalty rules: pure functions from amounts and settings to points."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal

from connector.model import StoreEvent

EARN_RULE = "points_per_currency_unit"
REVERSAL_RULE = "proportional_to_merchandise_refunded"
CANCEL_RULE = "reverse_remaining"
CENT = Decimal("0.01")


def earning_basis(merchandise: Decimal, shipping: Decimal | None = None, tax: Decimal | None = None) -> Decimal:
    """What a purchase earns on: the merchandise, plus shipping and tax where the shop includes them."""
    return merchandise + (shipping or Decimal(0)) + (tax or Decimal(0))


def points_for_purchase(merchandise_amount: Decimal, rate: Decimal) -> int:
    """Points for a paid order: ``rate`` per 1.00 of merchandise, rounded down, never negative."""
    if merchandise_amount <= 0 or rate <= 0:
        return 0
    return int((merchandise_amount * rate).to_integral_value(rounding=ROUND_FLOOR))


def points_to_reverse(earned: int, merchandise_amount: Decimal, refunded: Decimal) -> int:
    """How many of ``earned`` points the refunds so far take back: in proportion to the merchandise
    refunded, rounded down, and never more than was earned."""
    if earned <= 0 or refunded <= 0:
        return 0
    if merchandise_amount <= 0 or refunded >= merchandise_amount:
        return earned
    share = (Decimal(earned) * refunded / merchandise_amount).to_integral_value(rounding=ROUND_FLOOR)
    return min(earned, int(share))


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
