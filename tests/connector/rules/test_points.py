"""The earning and reversal rules."""

from decimal import Decimal

from connector.rules.points import points_for_purchase, points_to_reverse


def test_one_point_per_currency_unit_rounded_down() -> None:
    assert points_for_purchase(Decimal("404.95"), Decimal(1)) == 404
    assert points_for_purchase(Decimal("0.99"), Decimal(1)) == 0
    assert points_for_purchase(Decimal("10.00"), Decimal("2.5")) == 25


def test_nothing_for_nothing() -> None:
    assert points_for_purchase(Decimal(0), Decimal(1)) == 0
    assert points_for_purchase(Decimal("-5"), Decimal(1)) == 0
    assert points_for_purchase(Decimal(50), Decimal(0)) == 0


def test_reversal_is_proportional_and_capped_at_what_was_earned() -> None:
    assert points_to_reverse(404, Decimal("404.95"), Decimal("89.99")) == 89
    assert points_to_reverse(404, Decimal("404.95"), Decimal("404.95")) == 404
    assert points_to_reverse(404, Decimal("404.95"), Decimal("9999")) == 404
    assert points_to_reverse(0, Decimal("404.95"), Decimal("10")) == 0


def test_two_partial_refunds_that_make_a_whole_reverse_everything() -> None:
    # 3.60 earns 3; two refunds of 1.80 must take all 3 back, not 1 + 1.
    assert points_to_reverse(3, Decimal("3.60"), Decimal("1.80")) == 1
    assert points_to_reverse(3, Decimal("3.60"), Decimal("3.60")) == 3
