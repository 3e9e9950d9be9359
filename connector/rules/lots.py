"""Points that expire by when they were earned: what remains of each earning (a lot), oldest first, after
what was taken from it. Spending takes the oldest points first; a refund or cancellation takes back from its
own order's points first; an expiry takes the lot it expired. Pure: over the ledger's movements, in order."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Movement:
    """One ledger entry as lots see it, in the order the ledger took them."""

    id: int
    points: int
    day: date
    """For an earning, the day it was earned (an order's: the day it was placed); else the day it happened."""
    order: str | None = None
    """The order an order, refund or cancellation entry belongs to."""
    lot: int | None = None
    """For an expiry: the earning (its entry id) it expired."""


@dataclass
class Lot:
    """What remains of one earning."""

    id: int
    earned_on: date
    points: int
    order: str | None = None


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lots(movements: list[Movement]) -> list[Lot]:
    """What remains of each earning after every movement, oldest first (lots used up are left out). A taking
    larger than what remains takes what there is: a lot never goes below zero."""
    held: list[Lot] = []
    for move in movements:
        if move.points > 0:
            held.append(Lot(move.id, move.day, move.points, move.order))
            held.sort(key=lambda lot: (lot.earned_on, lot.id))
            continue
        owed = -move.points
        first = [lot for lot in held if (move.lot is not None and lot.id == move.lot)
                 or (move.lot is None and move.order is not None and lot.order == move.order)]  # fmt: skip
        for lot in [*first, *(lot for lot in held if lot not in first)]:
            taken = min(lot.points, owed)
            lot.points -= taken
            owed -= taken
            if not owed:
                break
        held = [lot for lot in held if lot.points > 0]
    return held


def expiring(held: list[Lot], today: date, months: int) -> list[tuple[Lot, date]]:
    """The lots whose points expire by ``today`` (earned ``months`` ago or more), with the day they expire."""
    return [(lot, on) for lot in held if (on := add_months(lot.earned_on, months)) <= today and lot.points > 0]


def upcoming(held: list[Lot], today: date, months: int, within_days: int) -> list[tuple[date, int]]:
    """(day, points) expiring after ``today`` and within ``within_days``, soonest first, a line per day."""
    by_day: dict[date, int] = {}
    for lot in held:
        on = add_months(lot.earned_on, months)
        if today < on and (on - today).days <= within_days:
            by_day[on] = by_day.get(on, 0) + lot.points
    return sorted(by_day.items())
