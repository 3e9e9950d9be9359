"""The RFM roll-up: each customer's segment and last order, computed for a whole shop at once by the
database (aggregates and window functions applying ``connector.rules.segments``) and stored, so lists filter
and count by segment without computing it on every page. The scheduler runs it hourly; the pages say when it
last ran."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rq import Queue
from sqlalchemy import ColumnElement, Subquery, and_, case, func, null, or_, select, true, update
from sqlalchemy.orm import Session

from connector.db.columns import epoch_days, json_list_items, money_from_units, money_units, read_time
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, IssuedCode, LedgerEntry, OrderRecord, Shop, utcnow
from connector.ops import activity
from connector.outbox import events, pushes
from connector.rules import segments
from connector.settle import expiry

CHUNK = 5_000
ACTIVE_DAYS = 90
FIGURE_KINDS = ("order", "redemption", "expiry", "adjustment")


def roll_up(storage: Storage, shop_id: int, now: datetime | None = None, queue: Queue | None = None) -> dict[str, int]:
    """Store every customer's segment and last order; returns how many customers are in each segment.

    The database scores every buyer and hands back only the customers whose segment, last order or order
    count changed, a few thousand at a time; they are written ``CHUNK`` per short transaction, so webhooks
    never wait long for SQLite's write lock and the process holds no more than a chunk, even for a million
    customers. A member whose segment changed is a ``segment.changed`` event (delivered now given ``queue``,
    else by the sweeper)."""
    now = now or utcnow()
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return dict.fromkeys(segments.SEGMENTS, 0)
        scored = _scored(session, shop_id, now)
        counts, figures = _figures(session, shop, scored, now)
        for changes in _changes(shop_id, scored):
            for rows in session.execute(changes.execution_options(yield_per=CHUNK)).partitions():
                with storage.session() as writing:
                    writing.execute(update(CustomerRecord), [
                        {"id": customer_id, "segment": name, "last_order_at": read_time(last), "orders_count": n}
                        for customer_id, name, last, n, _ in rows])  # fmt: skip
                    asked = events.emit(writing, writing.merge(shop, load=False), _segment_moves(rows, now))
                    events.owed(writing)
                if queue is not None and asked:
                    pushes.dispatch(storage, queue, asked)
                storage.let_writers_in()
    with storage.session() as session:
        session.execute(update(Shop).where(Shop.id == shop_id).values(segmented_at=now, rollup=figures))
    return counts


def _segment_moves(rows: Any, now: datetime) -> list[events.NewEvent]:
    """``segment.changed`` for each member among ``rows`` whose segment is not the one they had."""
    cause = {"type": "segment_rule", "id": now.date().isoformat()}
    return [
        events.NewEvent(
            "segment.changed",
            f"segment.changed:{member}:{now.isoformat()}",
            member,
            cause,
            {"from": before, "to": name},
        )
        for member, name, _, _, before in rows
        if name != before
    ]


def _buyers(shop_id: int) -> Subquery:
    """Per customer who bought (paid, not cancelled): orders, spend in money units, first and last order."""
    placed = func.coalesce(OrderRecord.placed_at, OrderRecord.updated_at)
    return (
        select(
            OrderRecord.customer_id.label("customer_id"),
            func.count().label("orders"),
            func.sum(money_units(func.coalesce(OrderRecord.total, 0))).label("units"),
            func.min(placed).label("first"),
            func.max(placed).label("last"),
        )
        .where(
            OrderRecord.shop_id == shop_id,
            OrderRecord.paid.is_(True),
            OrderRecord.cancelled.is_(False),
            OrderRecord.customer_id.is_not(None),
        )
        .group_by(OrderRecord.customer_id)
        .subquery()
    )


def _interval(session: Session, buyers: Subquery) -> float:
    """The shop's typical days between orders: the median repeat buyer's average gap, found by the
    database (the one or two buyers in the middle of the order by gap), then bounded by the rules."""
    dialect = session.get_bind().dialect.name
    gap = (epoch_days(buyers.c.last, dialect) - epoch_days(buyers.c.first, dialect)) / (buyers.c.orders - 1)
    ranked = (
        select(buyers, func.row_number().over(order_by=gap).label("i"), func.count().over().label("k"))
        .where(buyers.c.orders > 1)
        .subquery()
    )
    middle = session.execute(
        select(ranked.c.first, ranked.c.last, ranked.c.orders).where(
            or_(ranked.c.i == (ranked.c.k + 1) // 2, ranked.c.i == ranked.c.k // 2 + 1)
        )
    ).all()
    gaps = [(read_time(last) - read_time(first)).total_seconds() / 86400 / (n - 1) for first, last, n in middle]  # type: ignore[operator]
    return segments.typical_interval([sum(gaps) / len(gaps)] if gaps else [])


def _scored(session: Session, shop_id: int, now: datetime) -> Subquery:
    """Each buyer's segment, last order, orders and spend. Recency and frequency are the rules' bands of the
    buyer's own facts; spend is ranked against every other buyer with window functions."""
    buyers = _buyers(shop_id)
    interval = _interval(session, buyers)
    less = func.rank().over(order_by=buyers.c.units) - 1
    more = func.count().over() - less - func.count().over(partition_by=buyers.c.units)
    ranked = select(buyers, less.label("less"), more.label("more")).subquery()
    share = 5 * ranked.c.less // (ranked.c.less + ranked.c.more)
    scores = {
        "r": case(*[(ranked.c.last >= now - timedelta(days=n * interval), score)
                    for n, score in segments.RECENCY_BANDS], else_=1),
        "f": case(*[(ranked.c.orders >= least, score) for least, score in segments.FREQUENCY_BANDS], else_=1),
        "m": case((ranked.c.less + ranked.c.more == 0, 3), (share >= 4, 5), else_=1 + share),
    }  # fmt: skip
    scored = select(ranked, *[value.label(name) for name, value in scores.items()]).subquery()
    rules = [(and_(*[scored.c[score].between(least, most) for score, (least, most) in ranges.items()]), name)
             for name, ranges in segments.SEGMENT_RULES]  # fmt: skip
    return select(
        scored.c.customer_id,
        case(*rules, else_=segments.OTHERWISE).label("segment"),
        scored.c.last,
        scored.c.orders,
        scored.c.units,
    ).subquery()


def _changes(shop_id: int, scored: Subquery) -> tuple[Any, Any]:
    """The customers whose stored segment, last order or order count differs from ``scored``, and those
        with a segment but no paid order any more (they get none): id, segment, last order, orders, the segment
    before each. Each
        buyer finds their customer by primary key (an outer join the other way round would make SQLite scan
        every buyer for every customer)."""
    differs: list[ColumnElement[bool]] = [
        CustomerRecord.segment.is_distinct_from(scored.c.segment),
        CustomerRecord.last_order_at.is_distinct_from(scored.c.last),
        CustomerRecord.orders_count.is_distinct_from(scored.c.orders),
    ]
    changed = (
        select(CustomerRecord.id, scored.c.segment, scored.c.last, scored.c.orders, CustomerRecord.segment)
        .select_from(scored)
        .join(CustomerRecord, CustomerRecord.id == scored.c.customer_id)
        .where(or_(*differs))
    )
    bought = select(OrderRecord.id).where(
        OrderRecord.customer_id == CustomerRecord.id, OrderRecord.paid.is_(True), OrderRecord.cancelled.is_(False)
    )
    gone = select(CustomerRecord.id, null(), null(), null(), CustomerRecord.segment).where(
        CustomerRecord.shop_id == shop_id, CustomerRecord.segment.is_not(None), ~bought.exists()
    )
    return changed, gone


def _figures(session: Session, shop: Shop, scored: Subquery, now: datetime) -> tuple[dict[str, int], dict[str, Any]]:
    """The counts per segment, and the shop's figures this roll-up counts: buyers, repeat buyers, active
    members, members against non-members, codes issued and used, tiers, ledger sums, points per day."""
    member = CustomerRecord.platform_id.is_not(None)
    since = now - timedelta(days=ACTIVE_DAYS)
    groups = session.execute(
        select(
            scored.c.segment,
            case((member, 1), else_=0).label("member"),
            func.count(),
            func.sum(case((scored.c.orders > 1, 1), else_=0)),
            func.sum(scored.c.orders),
            func.sum(scored.c.units),
            func.sum(case((and_(member, scored.c.last >= since), 1), else_=0)),
        )
        .join(CustomerRecord, CustomerRecord.id == scored.c.customer_id)
        .group_by(scored.c.segment, "member")
    ).all()
    counts = dict.fromkeys(segments.SEGMENTS, 0)
    sides: dict[bool, list[int]] = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}
    active = 0
    for name, is_member, n, repeat, orders, units, recent in groups:
        counts[name] += int(n)
        side = sides[bool(is_member)]
        for i, value in enumerate((n, repeat, orders, units)):
            side[i] += int(value or 0)
        active += int(recent or 0)
    by_tier = tier_counts(session, shop.id)
    until = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = activity.day_sums(session, shop.id, until - timedelta(days=activity.ROLLED_DAYS), until)
    return counts, {
        "points_per_day": {day.isoformat(): list(sums) for day, sums in sorted(days.items())},
        "points_days_until": until.isoformat(),
        "customers": sum(n for _, n, _, _ in by_tier),
        "by_tier": [list(row) for row in by_tier],
        "ledger": [list(row) for row in ledger_sums(session, shop.id)],
        "buyers": sides[True][0] + sides[False][0],
        "repeat_buyers": sides[True][1] + sides[False][1],
        "active_members": active,
        "members_vs_non_members": {"members": _group(*sides[True]), "non_members": _group(*sides[False])},
        "segments": counts,
        "expiring": expiry.expiring_soon(session, shop, now.date()),
    } | _codes(session, shop.id)


def _codes(session: Session, shop_id: int) -> dict[str, Any]:
    """Codes issued and used (named on an order), and of those, gift codes: counted by the database, the
    codes named on orders joined to those issued (as ``IN`` a subquery, PostgreSQL scanned every order for
    every code issued)."""
    items = json_list_items(OrderRecord.discount_codes, session.get_bind().dialect.name)
    named = (
        select(func.upper(items.c.value).label("code"))
        .select_from(OrderRecord)
        .join(items, true())
        .where(OrderRecord.shop_id == shop_id)
        .distinct()
        .subquery()
    )
    code, gift, used = func.upper(IssuedCode.code), IssuedCode.reason.startswith("gift:"), named.c.code.is_not(None)
    issued, codes_used, gifts, gifts_used = session.execute(
        select(
            func.count(code.distinct()),
            func.count(case((used, code)).distinct()),
            func.count(case((gift, code)).distinct()),
            func.count(case((and_(gift, used), code)).distinct()),
        )
        .select_from(IssuedCode)
        .outerjoin(named, named.c.code == code)
        .where(IssuedCode.shop_id == shop_id)
    ).one()
    return {"codes_issued": issued, "codes_used": codes_used, "gift_codes": {"issued": gifts, "used": gifts_used}}


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


def _group(customers: int, repeat: int, orders: int, units: int) -> dict[str, Any]:
    """Buyers, repeat purchase, order value and lifetime value of a group, as text (kept in JSON)."""
    spend = money_from_units(units)

    def ratio(part: Decimal | int, whole: int, places: str) -> str | None:
        return str((Decimal(part) / whole).quantize(Decimal(places))) if whole else None

    return {
        "customers": customers,
        "repeat_purchase_rate": ratio(repeat, customers, "0.0001"),
        "average_order_value": ratio(spend, orders, "0.01"),
        "lifetime_value": ratio(spend, customers, "0.01"),
    }


def roll_up_all(storage: Storage, now: datetime | None = None, queue: Queue | None = None) -> int:
    """Roll up every installed shop. Returns how many shops."""
    with storage.session(read_only=True) as session:
        shop_ids = list(session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None))))
    for shop_id in shop_ids:
        roll_up(storage, shop_id, now, queue)
    return len(shop_ids)
