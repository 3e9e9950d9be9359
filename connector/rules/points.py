"""The loyalty rules: pure functions from amounts and settings to points."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

EARN_RULE = "points_per_currency_unit"
REVERSAL_RULE = "proportional_to_merchandise_refunded"
CANCEL_RULE = "reverse_remaining"


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


def cashback(basis: Decimal, percent: Decimal) -> Decimal:
    """A tier's cashback on an order's earning amount: ``percent`` of it, rounded down to the cent."""
    if basis <= 0 or percent <= 0:
        return Decimal(0)
    return (basis * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def cashback_kept(credited: Decimal, merchandise_amount: Decimal, refunded: Decimal, ended: bool) -> Decimal:
    """What of an order's cashback ``credited`` still stands after its refunds: in proportion to the merchandise
    kept, rounded down to the cent (so what is taken back is never short); none once the order has ended."""
    if ended or credited <= 0 or merchandise_amount <= 0 or refunded >= merchandise_amount:
        return Decimal(0)
    kept = credited * (merchandise_amount - max(refunded, Decimal(0))) / merchandise_amount
    return kept.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


RATE_SCALE = 10**8
"""A rate in the theme's programme: a whole number of hundred-millionths of a point per 1.00."""


def scaled_rate(rate: Decimal) -> int:
    """``rate`` as the theme's Liquid multiplies with it (whole numbers only), rounded down."""
    return int((rate * RATE_SCALE).to_integral_value(rounding=ROUND_FLOOR))


def points_for_cents(cents: int, rate: int) -> int:
    """What a price in cents earns at a scaled rate, rounded down: the product block's Liquid arithmetic
    (``price | times: rate | divided_by: 100 * RATE_SCALE``), equal to ``points_for_purchase`` for any rate
    of at most eight decimals."""
    if cents <= 0 or rate <= 0:
        return 0
    return cents * rate // (100 * RATE_SCALE)
