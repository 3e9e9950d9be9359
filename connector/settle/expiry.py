"""Points expiry: a balance unused for N months (off by default) expires, with a warning some days before."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from connector.config import Config
from connector.db.columns import read_time
from connector.db.tables import CustomerRecord, LedgerEntry, Shop
from connector.outbox import events, senders
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.settle import ledger

ACTIVITY = ("order", "redemption")
EMAIL = "email"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due(session: Session, shop: Shop, today: date) -> list[int]:
    """The members whose balance expires or is to be warned about today, in id order (a read: no lock)."""
    return [customer.id for customer, *_ in _decisions(session, shop, today, None)]


def run(
    session: Session, shop: Shop, config: Config, today: date, members: list[int]
) -> tuple[list[CustomerRecord], list[int]]:
    """Expire the inactive balances of ``members`` (see ``due``) and ask for warnings to be e-mailed, each
    member read afresh (one who bought since keeps their points). Returns (members whose balance expired,
    warning push ids). Keys tie each to the member's last activity, so a rerun does nothing."""
    programme = programme_of(shop)
    expired, warnings = [], []
    for customer, last_id, expires_on, expire in _decisions(session, shop, today, members):
        if expire:
            if ledger.append(
                session,
                shop.id,
                customer.id,
                ledger.NewEntry(
                    key=f"expiry:{customer.id}:{last_id}",
                    kind="expiry",
                    points=-customer.points,
                    source_type="customer",
                    source_id=customer.key,
                    rule=f"inactive_{programme.expiry_months}_months",
                ),
            ):
                member = session.get(CustomerRecord, customer.id)
                assert member is not None
                expired.append(member)
        else:
            if programme.emails.expiry_warning:  # else the shop warns members itself (from Klaviyo, say)
                letter = senders.written_later(
                    senders.EXPIRY_WARNING, customer.id, points=customer.points, on=expires_on.isoformat()
                )
                key = f"expiry-warning:{customer.id}:{last_id}"
                if push_id := outbox.request(session, shop.id, EMAIL, key, customer.key, letter):
                    warnings.append(push_id)
            details = {"points": int(customer.points), "expires_on": expires_on.isoformat()}
            cause = {"type": "expiry_rule", "rule": f"inactive_{programme.expiry_months}_months"}
            events.emit(session, shop, [events.NewEvent("points.expiring", f"points.expiring:{customer.id}:{last_id}",
                                                        customer.id, cause, details)])  # fmt: skip
    return expired, warnings


def _decisions(
    session: Session, shop: Shop, today: date, members: list[int] | None
) -> list[tuple[Row[Any], int, date, bool]]:
    """(member, their last activity's entry id, when their points expire, whether that is today or before)
    for each member with points to expire or to be warned about."""
    programme = programme_of(shop)
    if not programme.expiry_months:
        return []
    chosen = [] if members is None else [CustomerRecord.id.in_(members)]
    # A month has at least 28 days: whoever was active after ``since`` is neither due nor warned today, so
    # the database leaves them out (at a million members, most of them).
    since = today + timedelta(days=programme.expiry_warning_days + 1 - 28 * programme.expiry_months)
    last_activity = (
        select(
            LedgerEntry.customer_id.label("customer_id"),
            func.max(LedgerEntry.created_at).label("last_at"),
            func.max(LedgerEntry.id).label("last_id"),
        )
        .where(
            LedgerEntry.shop_id == shop.id,
            LedgerEntry.kind.in_(ACTIVITY),
            *([] if members is None else [LedgerEntry.customer_id.in_(members)]),
        )
        .group_by(LedgerEntry.customer_id)
        .having(func.max(LedgerEntry.created_at) < datetime.combine(since, time(), UTC))
        .subquery()
    )
    holders = session.execute(
        select(
            CustomerRecord.id,
            CustomerRecord.key,
            CustomerRecord.email,
            CustomerRecord.points,
            last_activity.c.last_at,
            last_activity.c.last_id,
        )
        .join(last_activity, last_activity.c.customer_id == CustomerRecord.id)
        .where(CustomerRecord.shop_id == shop.id, CustomerRecord.points > 0, *chosen)
        .order_by(CustomerRecord.id)
    ).all()  # fmt: skip  (plain rows: a member is loaded whole only when their points expire)
    found = []
    for customer in holders:
        last_at, last_id = read_time(customer.last_at), customer.last_id
        assert last_at is not None
        expires_on = add_months(last_at.date(), programme.expiry_months)
        if today >= expires_on:
            found.append((customer, last_id, expires_on, True))
        elif today >= expires_on - timedelta(days=programme.expiry_warning_days) and customer.email:
            found.append((customer, last_id, expires_on, False))
    return found
