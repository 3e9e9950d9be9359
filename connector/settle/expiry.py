"""Points expiry: a balance unused for N months (off by default) expires, with a warning some days before."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.config import Config
from connector.db.columns import read_time
from connector.db.tables import CustomerRecord, LedgerEntry, Shop
from connector.outbox import requests as outbox
from connector.outbox import senders
from connector.programme import programme_of
from connector.settle import ledger

ACTIVITY = ("order", "redemption")
EMAIL = "email"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def run(session: Session, shop: Shop, config: Config, today: date) -> tuple[list[CustomerRecord], list[int]]:
    """Expire inactive balances and ask for warnings to be e-mailed. Returns (members whose balance
    expired, warning push ids). Keys tie each to the member's last activity, so a rerun does nothing."""
    programme = programme_of(shop)
    if not programme.expiry_months:
        return [], []
    expired, warnings = [], []
    # Every member's last earning or redeeming, in one grouped read (not one query per member).
    last_activity = {
        customer_id: (read_time(last_at), last_id)
        for customer_id, last_at, last_id in session.execute(
            select(LedgerEntry.customer_id, func.max(LedgerEntry.created_at), func.max(LedgerEntry.id))
            .where(LedgerEntry.shop_id == shop.id, LedgerEntry.kind.in_(ACTIVITY))
            .group_by(LedgerEntry.customer_id)
        )
    }
    holders = session.execute(
        select(CustomerRecord.id, CustomerRecord.key, CustomerRecord.email, CustomerRecord.points).where(
            CustomerRecord.shop_id == shop.id, CustomerRecord.points > 0
        )
    ).all()  # plain rows: a member is loaded whole only when their points expire
    for customer in holders:
        last_at, last_id = last_activity.get(customer.id, (None, None))
        if last_at is None:
            continue
        expires_on = add_months(last_at.date(), programme.expiry_months)
        if today >= expires_on:
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
        elif today >= expires_on - timedelta(days=programme.expiry_warning_days) and customer.email:
            push_id = outbox.request(
                session,
                shop.id,
                EMAIL,
                f"expiry-warning:{customer.id}:{last_id}",
                customer.key,
                senders.written_later(
                    senders.EXPIRY_WARNING, customer.id, points=customer.points, on=expires_on.isoformat()
                ),
            )
            if push_id:
                warnings.append(push_id)
    return expired, warnings
