"""RFM segments: who is a champion, who is new, who is slipping away.

Recency is scored on elapsed time, in bands of the shop's typical interval between a customer's orders
(the median over customers who bought more than once, at least 7 and at most 365 days; 30 days until
there are any): bought within one interval 5, two 4, four 3, eight 2, longer 1. Frequency is scored in
fixed bands of orders: 1, 2, 3-4, 5-9, 10 or more. Spend is scored relatively, by the share of the other
customers who spent less: 1 + 5 * less // (less + more), at most 5. Customers who spent the same share a
score however many of them there are, and when everyone spent the same, everyone scores 3.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from decimal import Decimal
from statistics import median

SEGMENTS = ("champions", "loyal", "potential", "new", "at_risk", "hibernating")
DEFAULT_INTERVAL_DAYS = 30
MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS = 7, 365
RECENCY_BANDS = ((1, 5), (2, 4), (4, 3), (8, 2))
FREQUENCY_BANDS = ((10, 5), (5, 4), (3, 3), (2, 2))


def typical_interval(average_gaps_days: list[float]) -> float:
    """The shop's typical days between orders, from each repeat customer's average gap."""
    if not average_gaps_days:
        return DEFAULT_INTERVAL_DAYS
    return min(max(median(average_gaps_days), MIN_INTERVAL_DAYS), MAX_INTERVAL_DAYS)


def recency_score(days_since: float, interval_days: float) -> int:
    """5 for a purchase within one typical interval, down to 1 beyond eight."""
    for intervals, score in RECENCY_BANDS:
        if days_since <= intervals * interval_days:
            return score
    return 1


def frequency_score(orders: int) -> int:
    """5 for 10 orders or more, down to 1 for one."""
    for least, score in FREQUENCY_BANDS:
        if orders >= least:
            return score
    return 1


def spend_score(less: int, more: int) -> int:
    """The 1-5 spend score of a customer ``less`` others spent less than and ``more`` more than."""
    return 3 if less + more == 0 else min(5, 1 + 5 * less // (less + more))


def spend_scores(spends: list[Decimal]) -> list[int]:
    """A 1-5 score per customer's spend, by the share of the others who spent less."""
    ordered = sorted(spends)
    return [spend_score(bisect_left(ordered, spend), len(ordered) - bisect_right(ordered, spend)) for spend in spends]


SEGMENT_RULES: tuple[tuple[str, dict[str, tuple[int, int]]], ...] = (
    ("new", {"r": (4, 5), "f": (1, 1)}),
    ("champions", {"r": (4, 5), "f": (4, 5), "m": (4, 5)}),
    ("loyal", {"f": (4, 5), "r": (3, 5)}),
    ("potential", {"r": (3, 5)}),
    ("at_risk", {"f": (3, 5)}),
)
"""The first segment whose score ranges (inclusive) a customer's recency ``r``, frequency ``f`` and spend
``m`` fall in; a frequency of 1 is a single order. Data, so the roll-up applies the same rules in SQL."""
OTHERWISE = "hibernating"


def segment(r: int, f: int, m: int) -> str:
    """The segment for recency, frequency and spend scores (1-5)."""
    scores = {"r": r, "f": f, "m": m}
    for name, ranges in SEGMENT_RULES:
        if all(least <= scores[score] <= most for score, (least, most) in ranges.items()):
            return name
    return OTHERWISE
