"""Points expiry (off by default), with a warning some days before: a balance unused for N months expires
(``inactivity``), or each earning expires N months after it was earned, the oldest spent first
(``per_earning``: ``connector.rules.lots``)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import Session

from connector.config import Config
from connector.db.columns import read_time
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Shop, utcnow
from connector.outbox import events, senders
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.rules import lots
from connector.settle import ledger

ACTIVITY = ("order", "redemption")
EMAIL = "email"


add_months = lots.add_months
LOT = "ledger_entry"
"""An expiry entry's source when it expires one earning (its entry id)."""


def due(session: Session, shop: Shop, today: date) -> list[int]:
    """The members whose balance expires or is to be warned about today, in id order (a read: no lock)."""
    if programme_of(shop).expiry_mode == "per_earning":
        return _earning_members(session, shop, today)
    return [customer.id for customer, *_ in _decisions(session, shop, today, None)]


def _earned_on() -> Any:
    """SQL: the day an entry's points were earned: its order's placing for an order's points, else the entry's."""
    return func.coalesce(OrderRecord.placed_at, LedgerEntry.created_at)


def _earning_members(session: Session, shop: Shop, today: date) -> list[int]:
    """Members with points and an earning old enough to expire or be warned about today."""
    programme = programme_of(shop)
    if not programme.expiry_months:
        return []
    since = today + timedelta(days=programme.expiry_warning_days + 1 - 28 * programme.expiry_months)
    query = (
        select(LedgerEntry.customer_id)
        .join(CustomerRecord, CustomerRecord.id == LedgerEntry.customer_id)
        .outerjoin(
            OrderRecord,
            and_(
                OrderRecord.shop_id == LedgerEntry.shop_id,
                LedgerEntry.source_type == "order",
                OrderRecord.order_id == LedgerEntry.source_id,
            ),
        )
        .where(LedgerEntry.shop_id == shop.id, LedgerEntry.points > 0, CustomerRecord.points > 0)
        .where(_earned_on() < datetime.combine(since, time(), UTC))
        .distinct()
    )
    return sorted(session.scalars(query))


def held_lots(session: Session, shop_id: int, member_id: int) -> list[lots.Lot]:
    """What remains of each of the member's earnings, oldest first."""
    rows = session.execute(
        select(LedgerEntry.id, LedgerEntry.points, LedgerEntry.kind, LedgerEntry.source_type, LedgerEntry.source_id,
               LedgerEntry.created_at, OrderRecord.placed_at)
        .outerjoin(OrderRecord, and_(OrderRecord.shop_id == LedgerEntry.shop_id, LedgerEntry.source_type == "order",
                                     OrderRecord.order_id == LedgerEntry.source_id))
        .where(LedgerEntry.shop_id == shop_id, LedgerEntry.customer_id == member_id)
        .order_by(LedgerEntry.id)
    ).all()  # fmt: skip
    return lots.lots([_movement(row) for row in rows])


SOON = (30, 90)


def expiring_soon(session: Session, shop: Shop, today: date) -> dict[str, int]:
    """Points due to expire within 30 and 90 days, where points expire by when they were earned: every
    member with points' lots, read in one pass over their ledger (a read: no lock). Empty otherwise."""
    programme = programme_of(shop)
    if programme.expiry_mode != "per_earning" or not programme.expiry_months:
        return {}
    rows = session.execute(
        select(LedgerEntry.customer_id, LedgerEntry.id, LedgerEntry.points, LedgerEntry.kind, LedgerEntry.source_type,
               LedgerEntry.source_id, LedgerEntry.created_at, OrderRecord.placed_at)
        .join(CustomerRecord, CustomerRecord.id == LedgerEntry.customer_id)
        .outerjoin(OrderRecord, and_(OrderRecord.shop_id == LedgerEntry.shop_id, LedgerEntry.source_type == "order",
                                     OrderRecord.order_id == LedgerEntry.source_id))
        .where(LedgerEntry.shop_id == shop.id, CustomerRecord.points > 0)
        .order_by(LedgerEntry.customer_id, LedgerEntry.id)
        .execution_options(yield_per=5000)
    )  # fmt: skip
    totals = dict.fromkeys(SOON, 0)
    for _, member_rows in itertools.groupby(rows, key=lambda row: row.customer_id):
        held = lots.lots([_movement(row) for row in member_rows])
        for on, points in lots.upcoming(held, today, programme.expiry_months, max(SOON)):
            for days in SOON:
                totals[days] += points if (on - today).days <= days else 0
    return {str(days): total for days, total in totals.items()}


def _movement(row: Any) -> lots.Movement:
    happened = read_time(row.placed_at) if row.placed_at is not None and row.points > 0 else None
    day = (happened or read_time(row.created_at) or utcnow()).date()
    lot = int(row.source_id) if row.kind == "expiry" and row.source_type == LOT and row.source_id.isdigit() else None
    return lots.Movement(row.id, int(row.points), day, order=row.source_id if row.source_type == "order" else None,
                         lot=lot)  # fmt: skip


def run_per_earning(
    session: Session, shop: Shop, today: date, members: list[int]
) -> tuple[list[CustomerRecord], list[int]]:
    """``run`` for a programme whose points expire by when they were earned: each lot due expires (its key
    names the lot, so a rerun does nothing), and the soonest points to expire within the warning days are
    warned about once per day they expire."""
    programme = programme_of(shop)
    months, rule = programme.expiry_months or 0, f"earned_{programme.expiry_months}_months_ago"
    expired, warnings = [], []
    for member_id in members:
        member = session.get(CustomerRecord, member_id, with_for_update=True, populate_existing=True)
        if member is None or member.shop_id != shop.id or not months:
            continue
        held = held_lots(session, shop.id, member.id)
        gone = [
            ledger.NewEntry(key=f"expiry:{member.id}:lot:{lot.id}", kind="expiry", points=-lot.points,
                            source_type=LOT, source_id=str(lot.id), rule=rule)
            for lot, _ in lots.expiring(held, today, months)
        ]  # fmt: skip
        if gone and any([ledger.append(session, shop.id, member.id, entry) for entry in gone]):
            expired.append(member)
            held = held_lots(session, shop.id, member.id)
        soon = lots.upcoming(held, today, months, programme.expiry_warning_days)
        if not soon or not member.email:
            continue
        on, points = soon[0]
        if programme.emails.expiry_warning:
            letter = senders.written_later(senders.EXPIRY_WARNING, member.id, points=points, on=on.isoformat())
            if push_id := outbox.request(
                session, shop.id, EMAIL, f"expiry-warning:{member.id}:{on}", member.key, letter
            ):
                warnings.append(push_id)
        details, cause = {"points": points, "expires_on": on.isoformat()}, {"type": "expiry_rule", "rule": rule}
        events.emit(session, shop, [events.NewEvent("points.expiring", f"points.expiring:{member.id}:{on}", member.id,
                                                    cause, details)])  # fmt: skip
    return expired, warnings


def run(
    session: Session, shop: Shop, config: Config, today: date, members: list[int]
) -> tuple[list[CustomerRecord], list[int]]:
    """Expire the inactive balances of ``members`` (see ``due``) and ask for warnings to be e-mailed, each
    member read afresh (one who bought since keeps their points). Returns (members whose balance expired,
    warning push ids). Keys tie each to the member's last activity, so a rerun does nothing."""
    programme = programme_of(shop)
    if programme.expiry_mode == "per_earning":
        return run_per_earning(session, shop, today, members)
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
