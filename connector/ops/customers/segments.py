"""The RFM roll-up: each customer's segment and last order, computed for a whole shop at once (a database
aggregate, then the scoring of ``connector.rules.segments``) and stored, so lists filter and count by
segment without computing it on every page. The scheduler runs it hourly; the pages say when it last ran."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connector.db.columns import money_from_units, money_units, read_time
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, IssuedCode, LedgerEntry, OrderRecord, Shop, utcnow
from connector.ops import activity
from connector.rules import segments

CHUNK = 5_000
ACTIVE_DAYS = 90
FIGURE_KINDS = ("order", "redemption", "expiry", "adjustment")


def roll_up(storage: Storage, shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """Store every customer's segment and last order; returns how many customers are in each segment.

    Everything is read first (no lock); the results are then written ``CHUNK`` customers per short
    transaction, so webhooks never wait long for SQLite's write lock, even for a million customers."""
    now = now or utcnow()
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return dict.fromkeys(segments.SEGMENTS, 0)
        found, counts, figures = _computed(session, shop, now)
        found_ids = {row["id"] for row in found}
        stale = [
            {"id": customer_id, "segment": None, "last_order_at": None, "orders_count": None}
            for customer_id in session.scalars(
                select(CustomerRecord.id).where(CustomerRecord.shop_id == shop_id, CustomerRecord.segment.is_not(None))
            )
            if customer_id not in found_ids
        ]
    rows = stale + found
    for start in range(0, len(rows), CHUNK):
        with storage.session() as session:
            session.execute(update(CustomerRecord), rows[start : start + CHUNK])
        storage.let_writers_in()
    with storage.session() as session:
        session.execute(update(Shop).where(Shop.id == shop_id).values(segmented_at=now, rollup=figures))
    return counts


def _computed(
    session: Session, shop: Shop, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, Any]]:
    """Each buyer's segment row, the counts per segment, and the shop's figures."""
    placed = func.coalesce(OrderRecord.placed_at, OrderRecord.updated_at)
    buyers = (
        select(
            OrderRecord.customer_id.label("customer_id"),
            func.count().label("orders"),
            func.sum(money_units(func.coalesce(OrderRecord.total, 0))).label("units"),
            func.min(placed).label("first"),
            func.max(placed).label("last"),
        )
        .where(
            OrderRecord.shop_id == shop.id,
            OrderRecord.paid.is_(True),
            OrderRecord.cancelled.is_(False),
            OrderRecord.customer_id.is_not(None),
        )
        .group_by(OrderRecord.customer_id)
        .subquery()
    )
    # Spend is scored against every other buyer: the database ranks them (window functions), so Python
    # never sorts the shop's buyers; recency and frequency are bands of each buyer's own facts.
    rows = session.execute(
        select(
            buyers,
            (func.rank().over(order_by=buyers.c.units) - 1).label("less"),
            func.count().over().label("everyone"),
            func.count().over(partition_by=buyers.c.units).label("same"),
        )
    ).all()
    facts = [(row.customer_id, int(row.orders), money_from_units(row.units), read_time(row.first),
              read_time(row.last)) for row in rows]  # fmt: skip
    interval = segments.typical_interval(
        [(last - first).total_seconds() / 86400 / (n - 1) for _, n, _, first, last in facts if n > 1 and first and last]
    )
    spend = [segments.spend_score(row.less, row.everyone - row.less - row.same) for row in rows]
    found: list[dict[str, Any]] = []
    counts = dict.fromkeys(segments.SEGMENTS, 0)
    for (customer_id, n, _, _, last), m in zip(facts, spend, strict=True):
        days = (now - last).total_seconds() / 86400 if last else float("inf")
        name = segments.segment(segments.recency_score(days, interval), segments.frequency_score(n), m, n)
        counts[name] += 1
        found.append({"id": customer_id, "segment": name, "last_order_at": last, "orders_count": n})
    return found, counts, _figures(session, shop, facts, now) | {"segments": counts}


def _figures(session: Session, shop: Shop, facts: list[tuple[Any, ...]], now: datetime) -> dict[str, Any]:
    """The shop's figures this roll-up counts: buyers, repeat buyers, active members, codes issued and used."""
    members = set(
        session.scalars(
            select(CustomerRecord.id).where(CustomerRecord.shop_id == shop.id, CustomerRecord.platform_id.is_not(None))
        )
    )
    since = now - timedelta(days=ACTIVE_DAYS)
    issued = {code.upper() for code in session.scalars(select(IssuedCode.code).where(IssuedCode.shop_id == shop.id))}
    used = {
        code.upper()
        for codes in session.scalars(
            select(OrderRecord.discount_codes).where(
                OrderRecord.shop_id == shop.id, OrderRecord.discount_codes.is_not(None)
            )
        )
        for code in codes or []
        if isinstance(code, str)
    }
    gifts = {
        code.upper()
        for code in session.scalars(
            select(IssuedCode.code).where(IssuedCode.shop_id == shop.id, IssuedCode.reason.startswith("gift:"))
        )
    }
    by_tier = tier_counts(session, shop.id)
    until = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = activity.day_sums(session, shop.id, until - timedelta(days=activity.ROLLED_DAYS), until)
    return {
        "points_per_day": {day.isoformat(): list(sums) for day, sums in sorted(days.items())},
        "points_days_until": until.isoformat(),
        "customers": sum(n for _, n, _, _ in by_tier),
        "by_tier": [list(row) for row in by_tier],
        "ledger": [list(row) for row in ledger_sums(session, shop.id)],
        "buyers": len(facts),
        "repeat_buyers": sum(1 for _, n, _, _, _ in facts if n > 1),
        "active_members": sum(1 for cid, _, _, _, last in facts if cid in members and last and last >= since),
        "codes_issued": len(issued),
        "codes_used": len(issued & used),
        "gift_codes": {"issued": len(gifts), "used": len(gifts & used)},
        "members_vs_non_members": {
            "members": _group([(n, spend) for cid, n, spend, _, _ in facts if cid in members]),
            "non_members": _group([(n, spend) for cid, n, spend, _, _ in facts if cid not in members]),
        },
    }


def tier_counts(session: Session, shop_id: int) -> list[tuple[str | None, int, int, int]]:
    """Per tier (None: none): the shop's customers, its members (with a store account), and their points."""
    return [
        (tier, int(n), int(m), int(p))
        for tier, n, m, p in session.execute(
            select(
                CustomerRecord.tier,
                func.count(),
                func.count(CustomerRecord.platform_id),
                func.coalesce(func.sum(CustomerRecord.points), 0),
            )
            .where(CustomerRecord.shop_id == shop_id)
            .group_by(CustomerRecord.tier)
        )
    ]


def ledger_sums(session: Session, shop_id: int) -> list[tuple[str, str | None, int]]:
    """The points of the shop's ledger entries summed by kind and rule (the kinds the figures count)."""
    return [
        (kind, rule, int(total or 0))
        for kind, rule, total in session.execute(
            select(LedgerEntry.kind, LedgerEntry.rule, func.sum(LedgerEntry.points))
            .where(LedgerEntry.shop_id == shop_id, LedgerEntry.kind.in_(FIGURE_KINDS))
            .group_by(LedgerEntry.kind, LedgerEntry.rule)
        )
    ]


def _group(buyers: list[tuple[int, Decimal]]) -> dict[str, Any]:
    """Buyers, repeat purchase, order value and lifetime value of a group, as text (kept in JSON)."""
    orders, spend = sum(n for n, _ in buyers), sum((amount for _, amount in buyers), Decimal(0))

    def ratio(part: Decimal | int, whole: int, places: str) -> str | None:
        return str((Decimal(part) / whole).quantize(Decimal(places))) if whole else None

    return {
        "customers": len(buyers),
        "repeat_purchase_rate": ratio(sum(1 for n, _ in buyers if n > 1), len(buyers), "0.0001"),
        "average_order_value": ratio(spend, orders, "0.01"),
        "lifetime_value": ratio(spend, len(buyers), "0.01"),
    }


def roll_up_all(storage: Storage, now: datetime | None = None) -> int:
    """Roll up every installed shop. Returns how many shops."""
    with storage.session(read_only=True) as session:
        shop_ids = list(session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None))))
    for shop_id in shop_ids:
        roll_up(storage, shop_id, now)
    return len(shop_ids)
