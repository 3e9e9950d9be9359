"""VIP tiers: a member's tier follows their spend over the last 12 months, and changes are recorded and
written to the store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from connector.db.columns import MONEY_UNITS, money_from_units, money_units, read_time
from connector.db.tables import CustomerRecord, OrderRecord, RefundRecord, Shop, TierChange, utcnow
from connector.programme import ProgrammeSettings, Tier, programme_of
from connector.settle import ledger

WINDOW = timedelta(days=365)


def spend(session: Session, customer_id: int) -> Decimal:
    """Merchandise bought in the last 12 months, less what was refunded, on paid orders not cancelled."""
    return spend_since(session, customer_id, utcnow() - WINDOW)[0]


def spend_since(session: Session, customer_id: int, since: datetime) -> tuple[Decimal, datetime | None]:
    """Merchandise bought since ``since`` less refunds (never below 0 per order), and when the oldest such
    order was placed: one query, summed by the database as whole ten-thousandths (exact on both databases,
    as money is kept to four decimals). Refunds are summed once for the member's refunded orders and joined,
    not looked up once per order."""
    placed = func.coalesce(OrderRecord.placed_at, OrderRecord.updated_at)
    theirs = select(OrderRecord.shop_id, OrderRecord.order_id).where(OrderRecord.customer_id == customer_id).subquery()
    refunded = (
        select(
            RefundRecord.shop_id,
            RefundRecord.order_id,
            func.sum(money_units(RefundRecord.merchandise_amount)).label("units"),
        )
        .join(theirs, and_(theirs.c.shop_id == RefundRecord.shop_id, theirs.c.order_id == RefundRecord.order_id))
        .group_by(RefundRecord.shop_id, RefundRecord.order_id)
        .subquery()
    )
    kept = money_units(func.coalesce(OrderRecord.merchandise_amount, 0)) - func.coalesce(refunded.c.units, 0)
    total, oldest = session.execute(
        select(func.sum(case((kept > 0, kept), else_=0)), func.min(placed))
        .select_from(OrderRecord)
        .outerjoin(
            refunded, and_(refunded.c.shop_id == OrderRecord.shop_id, refunded.c.order_id == OrderRecord.order_id)
        )
        .where(
            OrderRecord.customer_id == customer_id,
            OrderRecord.paid.is_(True),
            OrderRecord.cancelled.is_(False),
            OrderRecord.fully_refunded.is_(False),
            placed >= since,
        )
    ).one()
    return money_from_units(total), read_time(oldest)


def spends(session: Session, shop_id: int, since: datetime, members: list[int] | None = None) -> dict[int, Decimal]:
    """Every member's spend since ``since`` (or only ``members``'), as ``spend_since`` counts it, in one query."""
    rows = session.execute(_spend_units(shop_id, since, members))
    return {customer_id: money_from_units(total) for customer_id, total in rows}


def _spend_units(shop_id: int, since: datetime, members: list[int] | None = None) -> Select[Any]:
    """SQL: (customer id, spend since ``since`` in money units) per member who spent, as ``spend_since``."""
    refunded = (
        select(func.coalesce(func.sum(money_units(RefundRecord.merchandise_amount)), 0))
        .where(RefundRecord.shop_id == OrderRecord.shop_id, RefundRecord.order_id == OrderRecord.order_id)
        .scalar_subquery()
    )
    kept = money_units(func.coalesce(OrderRecord.merchandise_amount, 0)) - refunded
    return (
        select(OrderRecord.customer_id.label("customer_id"), func.sum(case((kept > 0, kept), else_=0)).label("units"))
        .where(
            OrderRecord.customer_id.is_not(None) if members is None else OrderRecord.customer_id.in_(members),
            *_counted(shop_id, since),
        )
        .group_by(OrderRecord.customer_id)
    )


def _counted(shop_id: int, since: datetime) -> tuple[ColumnElement[bool], ...]:
    """SQL: the orders whose merchandise counts towards a tier: the shop's, paid, kept, placed since ``since``."""
    placed = func.coalesce(OrderRecord.placed_at, OrderRecord.updated_at)
    return (
        OrderRecord.shop_id == shop_id,
        OrderRecord.paid.is_(True),
        OrderRecord.cancelled.is_(False),
        OrderRecord.fully_refunded.is_(False),
        placed >= since,
    )


def moves(session: Session, shop: Shop) -> list[tuple[int, Decimal]]:
    """The members whose tier differs from what their spend earns now, with that spend: found by the
    database (the tiers' thresholds as a ``CASE``), so only they come back, however many members there are."""
    tiers = programme_of(shop).tiers
    since = utcnow() - WINDOW
    spent = _spend_units(shop.id, since).subquery()
    # Thresholds as BIGINT: 214,748.3648 in money units is past PostgreSQL's INTEGER.
    threshold = [(literal(int(t.min_spend * MONEY_UNITS), BigInteger()), t.name) for t in reversed(tiers)]
    earned = case(*[(spent.c.units >= units, name) for units, name in threshold], else_=None)
    buyers = (
        select(CustomerRecord.id, spent.c.units)
        .select_from(spent)
        .join(CustomerRecord, CustomerRecord.id == spent.c.customer_id)
        .where(CustomerRecord.tier.is_distinct_from(earned))
    )
    nothing = tier_for(tiers, Decimal(0))
    spent_any = select(OrderRecord.id).where(OrderRecord.customer_id == CustomerRecord.id, *_counted(shop.id, since))
    spent_any = spent_any.exists()
    others = select(CustomerRecord.id, literal(0)).where(
        CustomerRecord.shop_id == shop.id,
        CustomerRecord.tier.is_distinct_from(nothing.name if nothing else None),
        ~spent_any,
    )
    found = [
        (customer_id, money_from_units(units)) for q in (buyers, others) for customer_id, units in session.execute(q)
    ]
    return sorted(found)


def tier_for(tiers: tuple[Tier, ...], amount: Decimal) -> Tier | None:
    """The highest tier whose threshold ``amount`` reaches (tiers are sorted by min_spend)."""
    reached = [t for t in tiers if amount >= t.min_spend]
    return reached[-1] if reached else None


def multiplier(shop: Shop, customer: CustomerRecord) -> Decimal:
    """The member's current tier's points multiplier (1 without tiers)."""
    return tier_multiplier(programme_of(shop), customer.tier)


def tier_multiplier(programme: ProgrammeSettings, tier: str | None) -> Decimal:
    """The points multiplier of the tier named ``tier`` in ``programme`` (1 for none, or one since removed)."""
    current = next((t for t in programme.tiers if t.name == tier), None)
    return current.multiplier if current else Decimal(1)


def recompute(
    session: Session, shop: Shop, customer: CustomerRecord, reason: str, amount: Decimal | None = None
) -> bool:
    """Put the member in the tier their spend earns; record a change. Returns whether it changed (the front
    door then writes a member who moved up their letter)."""
    amount = spend(session, customer.id) if amount is None else amount
    return bool(recompute_many(session, shop, [(customer, amount)], reason))


def recompute_many(
    session: Session, shop: Shop, members: list[tuple[CustomerRecord, Decimal]], reason: str
) -> list[CustomerRecord]:
    """``recompute`` for many members at once, each with their spend: the changes recorded and tiers set in a
    few statements, and the moves noted for the front door. Returns the members who moved."""
    tiers = programme_of(shop).tiers
    moved: list[tuple[CustomerRecord, str | None]] = []
    changes: list[dict[str, object]] = []
    up: dict[int, str] = {}
    tier_moves: list[ledger.TierMove] = []
    today = utcnow().date()
    for customer, amount in members:
        new = tier_for(tiers, amount)
        name = new.name if new else None
        if name == customer.tier:
            continue
        kept = customer.tier_kept_until is not None and customer.tier_kept_until >= today
        if kept and _rank(tiers, name) < _rank(tiers, customer.tier):
            continue  # a tier set by hand holds until its date, unless the member's spend earns a higher one
        moved.append((customer, name))
        changes.append({"shop_id": shop.id, "customer_id": customer.id, "from_tier": customer.tier, "to_tier": name,
                        "spend": amount, "reason": reason})  # fmt: skip
        rises = _rank(tiers, name) > _rank(tiers, customer.tier)
        tier_moves.append(ledger.TierMove(shop.id, customer.id, customer.tier, name, rises, reason))
        if new is not None and rises and customer.email:
            up[customer.id] = customer.key
    if not moved:
        return []
    session.flush()  # a member created in this transaction exists before the UPDATE below
    session.execute(insert(TierChange), changes)
    table = CustomerRecord.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("moved_id")).values(tier=bindparam("new_tier")),
        [{"moved_id": customer.id, "new_tier": name} for customer, name in moved],
    )
    for customer, name in moved:  # what the database now holds, without another UPDATE at flush
        set_committed_value(customer, "tier", name)
    ledger.touched(session, shop.id, (customer.id for customer, _ in moved))
    ledger.promoted(session, shop.id, up)
    ledger.tiers_moved(session, tier_moves)
    return [customer for customer, _ in moved]


def _rank(tiers: tuple[Tier, ...], name: str | None) -> int:
    return next((i for i, t in enumerate(tiers) if t.name == name), -1)


class TierError(ValueError):
    """A tier that can't be set as asked; the message says why."""


def set_by_hand(session: Session, shop: Shop, customer: CustomerRecord, tier: str, until: date, reason: str) -> bool:
    """Put the member in ``tier`` and keep them there until ``until`` (their spend may still lift them higher);
    the change is recorded with ``reason``. Returns whether the tier changed."""
    tiers = programme_of(shop).tiers
    if tier not in [t.name for t in tiers]:
        raise TierError(f"the programme has no tier {tier[:40]!r}; its tiers: {', '.join(t.name for t in tiers)}")
    if until < utcnow().date():
        raise TierError("until must be today or later")
    customer.tier_kept_until = until
    if customer.tier == tier:
        return False
    session.flush()
    before, rises = customer.tier, _rank(tiers, tier) > _rank(tiers, customer.tier)
    change = {"shop_id": shop.id, "customer_id": customer.id, "from_tier": before, "to_tier": tier, "reason": reason}
    session.execute(insert(TierChange), [change | {"spend": spend(session, customer.id)}])
    customer.tier = tier
    ledger.touched(session, shop.id, [customer.id])
    if rises and customer.email:
        ledger.promoted(session, shop.id, {customer.id: customer.key})
    ledger.tiers_moved(session, [ledger.TierMove(shop.id, customer.id, before, tier, rises, reason)])
    return True
