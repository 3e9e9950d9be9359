"""VIP tiers: a member's tier follows their spend over the programme's tier period (the last 12 months, the
calendar year, or ever), kept a grace period after it no longer does where the programme gives one; changes
are recorded and written to the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from connector.db.columns import MONEY_UNITS, money_from_units, money_units, read_time
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, RefundRecord, Shop, TierChange, utcnow
from connector.programme import ProgrammeSettings, Tier, programme_of, shop_currency
from connector.settle import ledger

WINDOW = timedelta(days=365)
EVER = datetime(1970, 1, 1, tzinfo=UTC)

Window = tuple[datetime, datetime | None]


def windows(programme: ProgrammeSettings, now: datetime | None = None) -> list[Window]:
    """The spans whose spend counts towards a tier, (from, until) each: the member's tier is the highest any
    of them earns. Rolling: the last 12 months; calendar year: this year so far, and all of last year (so a
    tier earned in a year holds through the next); lifetime: everything."""
    now = now or utcnow()
    if programme.tier_period == "lifetime":
        return [(EVER, None)]
    if programme.tier_period == "calendar_year":
        this_year = datetime(now.year, 1, 1, tzinfo=UTC)
        return [(this_year, None), (this_year.replace(year=now.year - 1), this_year)]
    return [(now - WINDOW, None)]


def spend(session: Session, customer_id: int, programme: ProgrammeSettings | None = None) -> Decimal:
    """What counts for a tier over the tier period (see ``windows``; default the last 12 months): merchandise
    bought less what was refunded, on paid orders not cancelled; or, by points, the points earned."""
    spans = windows(programme) if programme is not None else [(utcnow() - WINDOW, None)]
    counted = earned_since if programme is not None and programme.tier_basis == "points" else spend_since
    return max(counted(session, customer_id, since, until)[0] for since, until in spans)


EARNED = ("order", "refund", "cancellation", "gift", "referral", "signup", "action", "survey")
"""The ledger entries that count as points earned for a tier by points: earnings less their reversals (spending
and expiry don't lessen it)."""


def earned_since(
    session: Session, customer_id: int, since: datetime, until: datetime | None = None
) -> tuple[Decimal, datetime | None]:
    """Points earned from ``since`` (until ``until``), and when the oldest such entry was made."""
    total, oldest = session.execute(
        select(func.sum(LedgerEntry.points), func.min(LedgerEntry.created_at)).where(
            LedgerEntry.customer_id == customer_id, *_earned(since, until)
        )
    ).one()
    return Decimal(max(int(total or 0), 0)), read_time(oldest)


def _earned(since: datetime, until: datetime | None) -> tuple[ColumnElement[bool], ...]:
    return (
        LedgerEntry.kind.in_(EARNED),
        LedgerEntry.created_at >= since,
        *((LedgerEntry.created_at < until,) if until is not None else ()),
    )


def _points_units(
    shop_id: int, since: datetime, members: list[int] | None = None, until: datetime | None = None
) -> Select[Any]:
    """SQL: (customer id, points earned from ``since`` to ``until``) per member who earned, as ``earned_since``."""
    who = LedgerEntry.customer_id.is_not(None) if members is None else LedgerEntry.customer_id.in_(members)
    return (
        select(LedgerEntry.customer_id.label("customer_id"), func.sum(LedgerEntry.points).label("units"))
        .where(LedgerEntry.shop_id == shop_id, who, *_earned(since, until))
        .group_by(LedgerEntry.customer_id)
    )


def toward_next(session: Session, programme: ProgrammeSettings, customer_id: int) -> tuple[Decimal, date | None]:
    """What counts towards the member's next tier, and the day by which it must be reached (None: no day):
    rolling, the last 12 months' spend and the day its oldest order drops out; calendar year, this year's spend
    and the year's last day; lifetime, everything, with no day."""
    now, counted = utcnow(), earned_since if programme.tier_basis == "points" else spend_since
    if programme.tier_period == "lifetime":
        return counted(session, customer_id, EVER)[0], None
    if programme.tier_period == "calendar_year":
        return counted(session, customer_id, datetime(now.year, 1, 1, tzinfo=UTC))[0], date(now.year, 12, 31)
    spent, oldest = counted(session, customer_id, now - WINDOW)
    return spent, (oldest + WINDOW).date() if oldest else None


def spend_since(
    session: Session, customer_id: int, since: datetime, until: datetime | None = None
) -> tuple[Decimal, datetime | None]:
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
            *((placed < until,) if until is not None else ()),
        )
    ).one()
    return money_from_units(total), read_time(oldest)


def spends(
    session: Session, shop_id: int, programme: ProgrammeSettings, members: list[int] | None = None
) -> dict[int, Decimal]:
    """What counts for a tier, per member (or only ``members``), over the tier period's spans, the highest of
    them, as ``spend`` counts it: one query per span."""
    best: dict[int, Decimal] = {}
    for since, until in windows(programme):
        for customer_id, total in session.execute(_units(programme, shop_id, since, members, until)):
            best[customer_id] = max(best.get(customer_id, Decimal(0)), _amount(programme, total))
    return best


def _units(
    programme: ProgrammeSettings, shop_id: int, since: datetime, members: list[int] | None, until: datetime | None
) -> Select[Any]:
    if programme.tier_basis == "points":
        return _points_units(shop_id, since, members, until)
    return _spend_units(shop_id, since, members, until)


def _amount(programme: ProgrammeSettings, units: Any) -> Decimal:
    return Decimal(max(int(units or 0), 0)) if programme.tier_basis == "points" else money_from_units(units)


def _spend_units(
    shop_id: int, since: datetime, members: list[int] | None = None, until: datetime | None = None
) -> Select[Any]:
    """SQL: (customer id, spend from ``since`` to ``until`` in money units) per member who spent, as
    ``spend_since``."""
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
            *_counted(shop_id, since, until),
        )
        .group_by(OrderRecord.customer_id)
    )


def _counted(shop_id: int, since: datetime, until: datetime | None = None) -> tuple[ColumnElement[bool], ...]:
    """SQL: the orders whose merchandise counts towards a tier: the shop's, paid, kept, placed from ``since``
    (until ``until``)."""
    placed = func.coalesce(OrderRecord.placed_at, OrderRecord.updated_at)
    return (
        OrderRecord.shop_id == shop_id,
        OrderRecord.paid.is_(True),
        OrderRecord.cancelled.is_(False),
        OrderRecord.fully_refunded.is_(False),
        placed >= since,
        *((placed < until,) if until is not None else ()),
    )


def moves(session: Session, shop: Shop) -> list[tuple[int, Decimal]]:
    """The members whose tier differs from what their spend earns now, with that spend: found by the
    database (the tiers' thresholds as a ``CASE``), so only they come back, however many members there are."""
    programme = programme_of(shop)
    tiers, spans = programme.tiers, windows(programme)
    per_span = [_units(programme, shop.id, since, None, until) for since, until in spans]
    if len(per_span) == 1:
        spent = per_span[0].subquery()
    else:  # the highest of the spans' spends, per member
        each = union_all(*per_span).subquery()
        spent = select(each.c.customer_id, func.max(each.c.units).label("units")).group_by(each.c.customer_id)
        spent = spent.subquery()
    # Thresholds as BIGINT: 214,748.3648 in money units is past PostgreSQL's INTEGER.
    scale = 1 if programme.tier_basis == "points" else MONEY_UNITS
    threshold = [
        (literal(int(t.threshold(programme.tier_basis) * scale), BigInteger()), t.name) for t in reversed(tiers)
    ]
    earned = case(*[(spent.c.units >= units, name) for units, name in threshold], else_=None)
    buyers = (
        select(CustomerRecord.id, spent.c.units)
        .select_from(spent)
        .join(CustomerRecord, CustomerRecord.id == spent.c.customer_id)
        .where(CustomerRecord.tier.is_distinct_from(earned))
    )
    nothing = tier_for(tiers, Decimal(0), programme.tier_basis)
    spent_any = or_(*(
        (select(LedgerEntry.id).where(LedgerEntry.customer_id == CustomerRecord.id, *_earned(since, until))
         if programme.tier_basis == "points" else
         select(OrderRecord.id).where(OrderRecord.customer_id == CustomerRecord.id, *_counted(shop.id, since, until)))
        .exists()
        for since, until in spans
    ))  # fmt: skip
    others = select(CustomerRecord.id, literal(0)).where(
        CustomerRecord.shop_id == shop.id,
        CustomerRecord.tier.is_distinct_from(nothing.name if nothing else None),
        ~spent_any,
    )
    found = [
        (customer_id, _amount(programme, units)) for q in (buyers, others) for customer_id, units in session.execute(q)
    ]
    return sorted(found)


def tier_for(tiers: tuple[Tier, ...], amount: Decimal, basis: str = "spend") -> Tier | None:
    """The highest tier whose threshold ``amount`` reaches (tiers are sorted by it; ``basis``: spend or points)."""
    reached = [t for t in tiers if amount >= t.threshold(basis)]
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
    amount = spend(session, customer.id, programme_of(shop)) if amount is None else amount
    return bool(recompute_many(session, shop, [(customer, amount)], reason))


def recompute_many(
    session: Session, shop: Shop, members: list[tuple[CustomerRecord, Decimal]], reason: str
) -> list[CustomerRecord]:
    """``recompute`` for many members at once, each with their spend: the changes recorded and tiers set in a
    few statements, and the moves noted for the front door. Returns the members who moved."""
    programme = programme_of(shop)
    tiers = programme.tiers
    moved: list[tuple[CustomerRecord, str | None]] = []
    changes: list[dict[str, object]] = []
    up: dict[int, str] = {}
    tier_moves: list[ledger.TierMove] = []
    graced: dict[int, dict[str, Any]] = {}
    today = utcnow().date()
    for customer, amount in members:
        new = tier_for(tiers, amount, programme.tier_basis)
        name = new.name if new else None
        falls, kept = _rank(tiers, name) < _rank(tiers, customer.tier), customer.tier_kept_until
        if kept is not None and (not falls or kept < today):
            customer.tier_kept_until = None  # earned again (or the day has passed): kept no longer
        if name == customer.tier:
            continue
        if falls and customer.tier_kept_until is not None:
            continue  # a tier set by hand, or in its grace, holds until its day, unless spend earns a higher one
        held = next((t for t in tiers if t.name == customer.tier), None)
        if falls and held is not None and programme.tier_grace_days and kept is None:  # a grace, once
            customer.tier_kept_until = today + timedelta(days=programme.tier_grace_days)
            if customer.email:
                graced[customer.id] = {"key": customer.key, "until": customer.tier_kept_until.isoformat(),
                                       "amount": str(held.threshold(programme.tier_basis) - amount),
                                       "currency": shop_currency(shop), "basis": programme.tier_basis,
                                       "lower": name}  # fmt: skip
            continue
        moved.append((customer, name))
        changes.append({"shop_id": shop.id, "customer_id": customer.id, "from_tier": customer.tier, "to_tier": name,
                        "spend": amount, "reason": reason})  # fmt: skip
        rises = _rank(tiers, name) > _rank(tiers, customer.tier)
        tier_moves.append(ledger.TierMove(shop.id, customer.id, customer.tier, name, rises, reason))
        if new is not None and rises and customer.email:
            up[customer.id] = customer.key
    if graced:
        ledger.graced(session, shop.id, graced)
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
    session.execute(insert(TierChange), [change | {"spend": spend(session, customer.id, programme_of(shop))}])
    customer.tier = tier
    ledger.touched(session, shop.id, [customer.id])
    if rises and customer.email:
        ledger.promoted(session, shop.id, {customer.id: customer.key})
    ledger.tiers_moved(session, [ledger.TierMove(shop.id, customer.id, before, tier, rises, reason)])
    return True
