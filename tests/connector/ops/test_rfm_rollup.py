"""The hourly RFM roll-up, scored by the database: the documented segments for known histories, the same
answer as the rules in Python, and only what changed written back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select, update

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, IssuedCode, OrderRecord, Shop
from connector.ops.customers import segments as segments_rollup
from connector.ops.figures import Buyer, segment_of

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def _store(storage: Storage, shop_id: int, histories: dict[str, tuple[bool, list[tuple[float, str]]]]) -> list[Buyer]:
    """Customers named by ``histories`` (member?, [(days ago, total), ...]) with their paid orders."""
    buyers = []
    with storage.session() as session:
        for name, (member, history) in histories.items():
            customer = CustomerRecord(shop_id=shop_id, key=name, platform_id=name if member else None, points=0)
            session.add(customer)
            session.flush()
            orders = tuple((NOW - timedelta(days=days), Decimal(total)) for days, total in history)
            for k, (placed, total) in enumerate(orders):
                session.add(OrderRecord(shop_id=shop_id, order_id=f"{name}-{k}", customer_id=customer.id, paid=True,
                                        total=total, placed_at=placed))  # fmt: skip
            buyers.append(Buyer(member=member, tier=None, points=0, orders=orders, customer_id=customer.id))
    return buyers


def _segments(storage: Storage, shop_id: int) -> dict[str, str | None]:
    with storage.session(read_only=True) as session:
        found = session.execute(
            select(CustomerRecord.key, CustomerRecord.segment).where(CustomerRecord.shop_id == shop_id)
        )
        return {key: segment for key, segment in found}


def test_known_histories_get_the_documented_segments(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    # Repeat buyers' average gaps: ana 30, ece 10, cem 5 days (ten orders), deniz 20: the typical interval is
    # the median of 5, 10, 20 and 30, 15 days. Recency 5 within 15 days, 4 within 30, 3 within 60, 2 within 120.
    # Spend against the others (less, more): can 20 (0, 5) 1, bora 30 (1, 4) 2, deniz 60 (2, 3) 3,
    # ece 110 (3, 2) 4, ana 150 (4, 1) 5, cem 1000 (5, 0) 5.
    _store(storage, shop_id, {
        "ana": (True, [(10, "100"), (40, "50")]),  # r5 f2 m5, not frequent yet: potential
        "bora": (True, [(200, "30")]),  # r1 f1: hibernating
        "can": (False, [(5, "20")]),  # one order 5 days ago: new
        "ece": (False, [(300, "40"), (310, "60"), (320, "10")]),  # r1 f3: at risk
        "cem": (True, [(1 + 5 * k, "100") for k in range(10)]),  # r5 f5 m5: champion
        "deniz": (True, [(60, "30"), (80, "30")]),  # 60 days ago is four intervals: r3 f2, potential
        "nobody": (True, []),  # never bought: no segment
    })  # fmt: skip
    counts = segments_rollup.roll_up(storage, shop_id, NOW)
    assert _segments(storage, shop_id) == {
        "ana": "potential", "bora": "hibernating", "can": "new", "ece": "at_risk", "cem": "champions",
        "deniz": "potential", "nobody": None,
    }  # fmt: skip
    assert counts == {"champions": 1, "loyal": 0, "potential": 2, "new": 1, "at_risk": 1, "hibernating": 1}
    with storage.session(read_only=True) as session:
        rolled = session.get(Shop, shop_id).rollup  # type: ignore[union-attr]
        cem = session.scalars(select(CustomerRecord).where(CustomerRecord.key == "cem")).one()
    assert (cem.orders_count, cem.last_order_at) == (10, NOW - timedelta(days=1))
    assert (rolled["buyers"], rolled["repeat_buyers"], rolled["active_members"]) == (6, 4, 3)  # ana, cem, deniz
    assert rolled["members_vs_non_members"] == {
        "members": {"customers": 4, "repeat_purchase_rate": "0.7500", "average_order_value": "82.67",
                    "lifetime_value": "310.00"},  # 1240 over 15 orders, 4 buyers
        "non_members": {"customers": 2, "repeat_purchase_rate": "0.5000", "average_order_value": "32.50",
                        "lifetime_value": "65.00"},
    }  # fmt: skip


def test_customers_who_bought_minutes_ago_are_new_or_potential(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    minutes = 1 / 1440
    histories = {f"once{n}": (True, [(n * minutes, "10")]) for n in range(21)}
    histories |= {f"twice{n}": (True, [(n * minutes, "10"), (n * minutes, "10")]) for n in range(21)}
    _store(storage, shop_id, histories)
    counts = segments_rollup.roll_up(storage, shop_id, NOW)
    assert (counts["new"], counts["potential"], counts["at_risk"], counts["hibernating"]) == (21, 21, 0, 0)


def test_the_database_scores_as_the_rules_do(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    histories = {
        f"c{n}": (
            n % 3 > 0,
            [
                (9 * (days + n) + n % 7 / 10, total)
                for days, total in zip(range(n % 5 + 1), ("30", "30", "45.5", "10", "7"), strict=False)
            ],
        )
        for n in range(60)
    }  # fmt: skip  (ties in spend, one to five orders, members and guests, gaps of fractions of a day)
    buyers = _store(storage, shop_id, histories)
    segments_rollup.roll_up(storage, shop_id, NOW)
    expected = {f"c{i}": name for i, name in segment_of(buyers, NOW).items()}
    assert _segments(storage, shop_id) == expected


def test_a_later_roll_up_writes_only_the_customers_that_changed(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    _store(storage, shop_id, {f"c{n}": (True, [(n, "10"), (n + 30, "20")]) for n in range(30)})
    segments_rollup.roll_up(storage, shop_id, NOW)
    with storage.session() as session:  # c3's orders are cancelled; c4 buys again
        c3, c4 = (
            session.scalars(select(CustomerRecord.id).where(CustomerRecord.key == key)).one() for key in ("c3", "c4")
        )
        session.execute(update(OrderRecord).where(OrderRecord.customer_id == c3).values(cancelled=True))
        session.add(OrderRecord(shop_id=shop_id, order_id="c4-new", customer_id=c4, paid=True, total=Decimal("5"),
                                placed_at=NOW - timedelta(hours=1)))  # fmt: skip
    written: list[Any] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE CUSTOMERS"):
            written.extend(parameters if many else [parameters])

    event.listen(storage.engine, "before_cursor_execute", count)
    try:
        segments_rollup.roll_up(storage, shop_id, NOW)
    finally:
        event.remove(storage.engine, "before_cursor_execute", count)
    assert len(written) == 2  # c3 and c4 only
    with storage.session(read_only=True) as session:
        rows = dict(
            (key, (segment, n))
            for key, segment, n in session.execute(
                select(CustomerRecord.key, CustomerRecord.segment, CustomerRecord.orders_count).where(
                    CustomerRecord.key.in_(["c3", "c4"])
                )
            )
        )
    assert rows == {"c3": (None, None), "c4": ("potential", 3)}


def test_codes_issued_and_used_are_counted_by_the_database(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    (ana,) = _store(storage, shop_id, {"ana": (True, [(3, "10")])})
    with storage.session() as session:
        for code, reason in (("PTS-1", "redeem:1"), ("PTS-2", "redeem:2"), ("GIFT-1", "gift:first_order"),
                             ("GIFT-2", "gift:birthday")):  # fmt: skip
            session.add(IssuedCode(shop_id=shop_id, code=code, customer_id=ana.customer_id, reason=reason,
                                   kind="fixed_amount", value=Decimal(5)))  # fmt: skip
        for n, codes in enumerate((["pts-1", "SUMMER"], ["Gift-1"], [], None, ["PTS-1"])):
            session.add(OrderRecord(shop_id=shop_id, order_id=f"used-{n}", customer_id=ana.customer_id, paid=True,
                                    total=Decimal(1), discount_codes=codes))  # fmt: skip
    segments_rollup.roll_up(storage, shop_id, NOW)
    with storage.session(read_only=True) as session:
        rolled = session.get(Shop, shop_id).rollup  # type: ignore[union-attr]
    assert (rolled["codes_issued"], rolled["codes_used"]) == (4, 2)  # PTS-1 (twice) and GIFT-1, in any case
    assert rolled["gift_codes"] == {"issued": 2, "used": 1}
