"""A shop's activity over time, bucketed for charts: events per hour, points issued and redeemed per day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from connector.db.columns import utc_day, utc_hour
from connector.db.tables import LedgerEntry, OrderRecord, WebhookEvent, utcnow


def events_per_hour(session: Session, shop_id: int, hours: int = 48, now: datetime | None = None) -> list[int]:
    """Events received in each of the last ``hours`` hours, oldest first (counted by the database)."""
    now = now or utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    counts = [0] * hours
    hour = utc_hour(WebhookEvent.received_at, session.get_bind().dialect.name)
    for when, n in session.execute(
        select(hour, func.count())
        .where(WebhookEvent.shop_id == shop_id, WebhookEvent.received_at >= start)
        .group_by(hour)
    ):
        index = int((datetime.fromisoformat(f"{when}:00:00+00:00") - start).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += int(n)
    return counts


ROLLED_DAYS = 90
"""Days of points a large shop's roll-up keeps, summed: the longest range the shop page shows."""


def points_per_day(
    session: Session, shop_id: int, days: int = 30, now: datetime | None = None, rolled: dict[str, Any] | None = None
) -> tuple[list[int], list[int]]:
    """Points issued for orders, on the day each order was placed, and points redeemed (net of codes the store
    refused) on the day they were spent, per day, oldest first. With a roll-up (``rolled``: a large shop's),
    the entries written before it are read from its sums and only those written since are summed now; the
    two add up, whatever day a late entry (a backfilled order) falls on."""
    now = now or utcnow()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    issued, redeemed = [0] * days, [0] * days
    written_from = start
    if rolled and "points_per_day" in rolled:
        written_from = max(start, datetime.fromisoformat(rolled["points_days_until"]))
        for day, (given, spent) in rolled["points_per_day"].items():
            index = (date.fromisoformat(day) - start.date()).days
            if 0 <= index < days:
                issued[index] += given
                redeemed[index] += spent
    for day, (given, spent) in day_sums(session, shop_id, written_from).items():
        index = (day - start.date()).days
        if 0 <= index < days:
            issued[index] += given
            redeemed[index] += spent
    return issued, redeemed


def day_sums(
    session: Session, shop_id: int, since: datetime, until: datetime | None = None
) -> dict[date, tuple[int, int]]:
    """Of the entries written from ``since`` (to ``until``): points issued for orders per UTC day the order
    was placed (the entry's own day when the store didn't say), and points redeemed per day they were spent."""
    dialect = session.get_bind().dialect.name
    written = [
        LedgerEntry.shop_id == shop_id,
        LedgerEntry.created_at >= since,
        *([] if until is None else [LedgerEntry.created_at < until]),
    ]
    placed = utc_day(func.coalesce(OrderRecord.placed_at, LedgerEntry.created_at), dialect)
    sums: dict[date, list[int]] = {}
    for when, points in session.execute(
        select(placed, func.sum(LedgerEntry.points))
        .select_from(LedgerEntry)
        .outerjoin(
            OrderRecord,
            and_(
                LedgerEntry.source_type == "order",
                OrderRecord.shop_id == LedgerEntry.shop_id,
                OrderRecord.order_id == LedgerEntry.source_id,
            ),
        )
        .where(*written, LedgerEntry.kind == "order")
        .group_by(placed)
    ):
        sums.setdefault(date.fromisoformat(when), [0, 0])[0] += int(points)
    day = utc_day(LedgerEntry.created_at, dialect)
    for when, kind, rule, points in session.execute(
        select(day, LedgerEntry.kind, LedgerEntry.rule, func.sum(LedgerEntry.points))
        .where(*written, LedgerEntry.kind.in_(("redemption", "adjustment")))
        .group_by(day, LedgerEntry.kind, LedgerEntry.rule)
    ):
        if kind == "redemption" or rule == "code_refused_points_returned":
            sums.setdefault(date.fromisoformat(when), [0, 0])[1] -= int(points)
    return {day: (given, spent) for day, (given, spent) in sums.items()}


def hour_labels(hours: int = 48, now: datetime | None = None) -> list[str]:
    """``HH:00`` (UTC) for each bucket of :func:`events_per_hour`."""
    now = now or utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    return [(start + timedelta(hours=i)).strftime("%H:00") for i in range(hours)]


def day_labels(days: int = 30, now: datetime | None = None) -> list[str]:
    """``MM-DD`` (UTC) for each bucket of :func:`points_per_day`."""
    now = now or utcnow()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    return [(start + timedelta(days=i)).strftime("%m-%d") for i in range(days)]
