"""A shop's programme at a glance, for the overview: members and active members, points issued and redeemed
this month, what the outstanding points are worth, repeat purchase and codes used. Counted by the database
(indexed sums) or taken from the hourly roll-up, so it costs little whatever the shop's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, LedgerEntry, Shop, utcnow
from connector.programme import programme_of, shop_currency

EARNING = ("order", "gift", "survey", "referral", "signup", "action")


@dataclass(frozen=True)
class Glance:
    """One shop's figures."""

    shop_id: int
    members: int
    outstanding: int
    liability: Decimal
    currency: str | None
    """The shop's money, which ``liability`` is in."""
    issued_this_month: int
    redeemed_this_month: int
    active_members: int | None
    repeat_rate: Decimal | None
    codes_issued: int | None
    codes_used: int | None
    as_of: datetime | None
    """When the roll-up behind the last four ran (None: not yet)."""


def glance(session: Session, shop: Shop, now: datetime | None = None) -> Glance:
    """``shop``'s figures."""
    now = now or utcnow()
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    members, outstanding = session.execute(
        select(func.count(CustomerRecord.platform_id), func.coalesce(func.sum(CustomerRecord.points), 0)).where(
            CustomerRecord.shop_id == shop.id
        )
    ).one()
    moved = dict(
        session.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.points))
            .where(LedgerEntry.shop_id == shop.id, LedgerEntry.created_at >= month)
            .where(LedgerEntry.kind.in_((*EARNING, "redemption")))
            .group_by(LedgerEntry.kind)
        ).all()
    )
    rollup = shop.rollup or {}
    buyers = rollup.get("buyers")
    programme = programme_of(shop)
    per_unit = programme.redemption.points_per_unit
    return Glance(
        shop_id=shop.id,
        members=int(members or 0),
        outstanding=int(outstanding or 0),
        liability=(Decimal(int(outstanding or 0)) / per_unit).quantize(Decimal("0.01")),
        currency=shop_currency(shop),
        issued_this_month=int(sum(moved.get(kind) or 0 for kind in EARNING)),
        redeemed_this_month=-int(moved.get("redemption") or 0),
        active_members=rollup.get("active_members"),
        repeat_rate=(Decimal(rollup["repeat_buyers"]) / buyers).quantize(Decimal("0.0001")) if buyers else None,
        codes_issued=(rollup.get("gift_codes") or {}).get("issued") if rollup else None,
        codes_used=(rollup.get("gift_codes") or {}).get("used") if rollup else None,
        as_of=shop.segmented_at,
    )


def glances(session: Session, now: datetime | None = None) -> dict[int, Glance]:
    """Every shop's figures, by shop id."""
    return {shop.id: glance(session, shop, now) for shop in session.scalars(select(Shop).order_by(Shop.id))}
