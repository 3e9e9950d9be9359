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
