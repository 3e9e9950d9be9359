"""Points that expire by when they were earned, as a property: for any run of earnings, spending, refunds and
expiry runs, no expiry takes more than remains of its earning, the balance never goes below zero, what
remains of the earnings is the balance, and expiring twice on the same day changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.rules.lots import Lot, Movement, add_months, expiring, lots, upcoming

TODAY = date(2027, 6, 1)
MONTHS = 12

steps = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 500), st.integers(0, 900)),
        st.tuples(st.just("spend"), st.integers(1, 800), st.just(0)),
        st.tuples(st.just("refund"), st.integers(1, 500), st.integers(0, 30)),
        st.tuples(st.just("expire"), st.integers(0, 400), st.just(0)),
    ),
    max_size=40,
)


def expire(ledger: list[Movement], day: date, next_id: int) -> list[Movement]:
    """An expiry run on ``day``, as settling makes it: one entry per lot due, taking what remains of it."""
    return [
        Movement(next_id + n, -lot.points, day, lot=lot.id)
        for n, (lot, _) in enumerate(expiring(lots(ledger), day, MONTHS))
    ]


@settings(max_examples=300, deadline=None)
@given(steps)
def test_any_run_of_movements_keeps_the_lots_equal_to_the_balance(run: list[tuple[str, int, int]]) -> None:
    ledger: list[Movement] = []
    balance, run_day = 0, TODAY - timedelta(days=900)
    for kind, amount, when in run:
        next_id = len(ledger) + 1
        if kind == "earn":
            ledger.append(Movement(next_id, amount, TODAY - timedelta(days=when), order=f"o{next_id}"))
            balance += amount
        elif kind == "spend" and balance:
            taken = min(amount, balance)
            ledger.append(Movement(next_id, -taken, run_day))
            balance -= taken
        elif kind == "refund" and balance:
            orders = [m for m in ledger if m.points > 0]
            order = orders[when % len(orders)].order if orders else None
            taken = min(amount, balance)
            ledger.append(Movement(next_id, -taken, run_day, order=order))
            balance -= taken
        elif kind == "expire":
            run_day = max(run_day, TODAY - timedelta(days=400) + timedelta(days=amount))
            before = {lot.id: lot.points for lot in lots(ledger)}
            expired = expire(ledger, run_day, next_id)
            for entry in expired:
                assert entry.lot is not None and 0 < -entry.points <= before[entry.lot]
            ledger += expired
            balance += sum(entry.points for entry in expired)
            assert expire(ledger, run_day, len(ledger) + 1) == []  # the same day again: nothing
        held = lots(ledger)
        assert balance >= 0
        assert all(lot.points > 0 for lot in held)
        assert sum(lot.points for lot in held) == balance


def test_spending_takes_the_oldest_points_and_a_refund_its_own_orders_first() -> None:
    ledger = [
        Movement(1, 100, date(2026, 1, 10), order="A"),
        Movement(2, 50, date(2026, 3, 5), order="B"),
        Movement(3, 70, date(2026, 5, 1), order="C"),
        Movement(4, -120, date(2026, 6, 1)),  # spent: all of A, 20 of B
        Movement(5, -60, date(2026, 6, 2), order="C"),  # C refunded: 60 of C's own
    ]
    assert [(lot.id, lot.points) for lot in lots(ledger)] == [(2, 30), (3, 10)]
    held = lots(ledger)
    assert expiring(held, date(2027, 3, 4), MONTHS) == []
    assert [(lot.id, on) for lot, on in expiring(held, date(2027, 3, 5), MONTHS)] == [(2, date(2027, 3, 5))]
    assert upcoming(held, date(2027, 2, 1), MONTHS, 90) == [(date(2027, 3, 5), 30), (date(2027, 5, 1), 10)]
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert isinstance(held[0], Lot)
