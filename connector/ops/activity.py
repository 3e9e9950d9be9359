"""A shop's activity over time, bucketed for charts: events per hour, points issued and redeemed per day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.columns import utc_day
from connector.db.tables import LedgerEntry, WebhookEvent, utcnow


def events_per_hour(session: Session, shop_id: int, hours: int = 48, now: datetime | None = None) -> list[int]:
    """Events received in each of the last ``hours`` hours, oldest first."""
    now = now or utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    counts = [0] * hours
    for (received,) in session.execute(
        select(WebhookEvent.received_at).where(WebhookEvent.shop_id == shop_id, WebhookEvent.received_at >= start)
    ):
        index = int((received - start).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += 1
    return counts


def points_per_day(
    session: Session, shop_id: int, days: int = 30, now: datetime | None = None
) -> tuple[list[int], list[int]]:
    """Points issued for orders and points redeemed (net of codes the store refused) per day, oldest first."""
    now = now or utcnow()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    issued, redeemed = [0] * days, [0] * days
    day = utc_day(LedgerEntry.created_at, session.get_bind().dialect.name)
    for when, kind, rule, points in session.execute(
        select(day, LedgerEntry.kind, LedgerEntry.rule, func.sum(LedgerEntry.points))
        .where(
            LedgerEntry.shop_id == shop_id,
            LedgerEntry.created_at >= start,
            LedgerEntry.kind.in_(("order", "redemption", "adjustment")),
        )
        .group_by(day, LedgerEntry.kind, LedgerEntry.rule)
    ):
        index = (date.fromisoformat(when) - start.date()).days
        if not 0 <= index < days:
            continue
        if kind == "order":
            issued[index] += int(points)
        elif kind == "redemption" or rule == "code_refused_points_returned":
            redeemed[index] -= int(points)
    return issued, redeemed


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
