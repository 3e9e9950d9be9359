"""Orders and refunds as we learn of them, and the points they settle to.

Events only record facts (an order was paid, a refund of X was made, the order was cancelled);
:func:`settle` then derives the points each order should stand at and appends the missing entries.
Because settling depends only on the facts and not on the order events arrived in, a refund before
its payment, a cancellation before anything, or a replay of any of them all end at the same balance.
Every function takes many orders at once, as plain rows (``connector.db.order_rows``): the engine
(``connector.settle.engine``) hands it a round.

Points a customer spent on a code come back when the order that used the code is cancelled or refunded:
all of them for a cancellation or a full refund, in proportion to the merchandise refunded otherwise, never
more than were spent. Gift codes (not paid for with points) give nothing back.

The entries are ``adjustment``s with the rule ``spent_points_returned``, about the redemption (its reason
key), each keyed by the level it brings the returns of that code on that order to: a repeat, or the same
facts arriving in another order, appends nothing more. A returned code is disabled in the store through
the outbox, so the points can't come back and the code be used again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.order_rows import OrderRow
from connector.db.storage import upsert_insert
from connector.db.tables import IssuedCode, LedgerEntry, RefundRecord, Shop, utcnow
from connector.model import Order, Refund
from connector.outbox import requests as outbox
from connector.outbox.pushes import DISABLE_CODE
from connector.programme import ProgrammeSettings
from connector.rules import points as rules
from connector.settle import ledger, tiers


def merge_order(row: OrderRow, order: Order, customer_id: int | None) -> None:
    """Fold what ``order`` says into the order's row. Paid, cancelled and refunded only ever switch on."""
    row.name = order.name
    row.currency = order.currency
    row.total = order.total
    row.test = order.test
    row.discount_codes = list(order.discount_codes)
    row.shipping_key = order.shipping_key or row.shipping_key
    if order.created_at is not None:
        row.placed_at = order.created_at
    if row.points_earned is None:  # what was earned stays tied to what was bought then
        row.merchandise_amount = order.merchandise_amount
        row.shipping_amount = order.shipping_amount
        row.tax_amount = order.tax_amount
        if customer_id is not None:
            row.customer_id = customer_id
    row.paid = row.paid or order.paid
    row.cancelled = row.cancelled or order.cancelled
    row.fully_refunded = row.fully_refunded or order.fully_refunded
    row.updated_at = utcnow()


def record_refunds(session: Session, shop_id: int, refunds: list[Refund]) -> None:
    """Store refunds once each, in one statement; their orders may not be known yet."""
    if not refunds:
        return
    session.execute(
        upsert_insert(session, RefundRecord).on_conflict_do_nothing(index_elements=["shop_id", "refund_id"]),
        [
            {
                "shop_id": shop_id,
                "refund_id": refund.id,
                "order_id": refund.order_id,
                "merchandise_amount": refund.merchandise_amount,
                "refunded_at": refund.created_at,
            }
            for refund in refunds
        ],
    )


@dataclass
class Settled:
    """What settling orders did: orders earned just now, pushes asked for."""

    newly_earned: list[OrderRow] = field(default_factory=list)
    pushes: list[int] = field(default_factory=list)


def settle(
    session: Session,
    shop: Shop,
    programme: ProgrammeSettings,
    rows: list[OrderRow],
    event_ids: dict[str, int | None],
    tier_of: dict[int, str | None],
) -> Settled:
    """Append whatever entries bring each order's points to what its facts say they should be: the refunds
    and reversals so far read for all of them at once, the entries appended together. ``tier_of`` names each
    buyer's tier now (its multiplier counts for an order paid now)."""
    settled = Settled()
    rows = [row for row in rows if row.customer_id is not None and row.merchandise_amount is not None]
    if not rows:
        return settled  # nothing is known about who bought what yet; a later event settles it
    # Only an order that ended or has refunds can owe a reversal.
    reversible = [row.order_id for row in rows if row.cancelled or row.fully_refunded or row.refunded > 0]
    reversed_so_far = _reversed(session, shop.id, reversible) if reversible else {}
    entries: list[tuple[int, ledger.NewEntry]] = []
    for row in rows:
        assert row.customer_id is not None
        event_id = event_ids.get(row.order_id)
        refunded = row.refunded  # so far, this round's refunds included
        settled.pushes += give_back_spent(session, shop, programme, row, refunded, event_id)
        ended = row.cancelled or row.fully_refunded
        if row.points_earned is None:
            if not row.paid or ended:
                continue
            entry = earn(programme, row, tier_of[row.customer_id], event_id)
            settled.newly_earned.append(row)
            if entry.points > 0:
                entries.append((row.customer_id, entry))
        earned = row.points_earned
        assert earned is not None
        target = earned if ended else rules.points_to_reverse(earned, row.merchandise_amount, refunded)
        so_far = reversed_so_far.get(row.order_id, 0)
        if target > so_far:
            entries.append((row.customer_id, _reversal(row, target, so_far, refunded, event_id)))
    ledger.append_many(session, shop.id, entries)
    return settled


def _reversed(session: Session, shop_id: int, order_ids: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(LedgerEntry.source_id, func.sum(LedgerEntry.points))
        .where(
            LedgerEntry.shop_id == shop_id,
            LedgerEntry.source_type == "order",
            LedgerEntry.source_id.in_(order_ids),
            LedgerEntry.kind.in_(("refund", "cancellation")),
        )
        .group_by(LedgerEntry.source_id)
    )
    return {order_id: -int(total or 0) for order_id, total in rows}


@dataclass(frozen=True)
class Earning:
    """What an order earns: the amount it earns on, the rate (the tier's multiplier in it), the points."""

    basis: Decimal
    rate: Decimal
    points: int


def earning(
    programme: ProgrammeSettings,
    merchandise: Decimal,
    shipping: Decimal | None,
    tax: Decimal | None,
    tier: str | None,
) -> Earning:
    """The one rule for what an order earns, for settling and for a backfill's estimate alike: the
    merchandise (with shipping and tax where the programme counts them) at the programme's rate times the
    multiplier of the buyer's tier (``tier``, the tier they are in when it is paid)."""
    rate = programme.earn_rate * tiers.tier_multiplier(programme, tier)
    basis = rules.earning_basis(
        merchandise, shipping if programme.include_shipping else None, tax if programme.include_tax else None
    )
    return Earning(basis, rate, rules.points_for_purchase(basis, rate))


def earn(programme: ProgrammeSettings, row: OrderRow, tier: str | None, event_id: int | None) -> ledger.NewEntry:
    """The entry a paid order earns (``earning``) at the moment it is paid; sets the row's ``points_earned``
    and ``earn_rate``."""
    assert row.merchandise_amount is not None
    earned = earning(programme, row.merchandise_amount, row.shipping_amount, row.tax_amount, tier)
    row.points_earned = earned.points
    row.earn_rate = earned.rate
    return ledger.NewEntry(
        key=f"order:{row.order_id}:earned",
        kind="order",
        points=row.points_earned,
        source_type="order",
        source_id=row.order_id,
        rule=rules.EARN_RULE,
        rate=earned.rate,
        amount=earned.basis,
        event_id=event_id,
    )


def _reversal(row: OrderRow, target: int, so_far: int, refunded: Decimal, event_id: int | None) -> ledger.NewEntry:
    ended = row.cancelled or row.fully_refunded
    return ledger.NewEntry(
        # Keyed by the level it brings the reversals to: a replay, or a second worker settling the same
        # facts, computes the same key and appends nothing.
        key=f"order:{row.order_id}:reversed-to:{target}",
        kind="cancellation" if row.cancelled else "refund",
        points=-(target - so_far),
        source_type="order",
        source_id=row.order_id,
        rule=rules.CANCEL_RULE if ended else rules.REVERSAL_RULE,
        rate=row.earn_rate,
        amount=refunded,
        event_id=event_id,
    )


SPENT_RULE = "spent_points_returned"


def spent_to_return(spent: int, ended: bool, merchandise: Decimal, refunded: Decimal) -> int:
    """How many of ``spent`` points the order's state gives back."""
    if spent <= 0:
        return 0
    if ended or (merchandise > 0 and refunded >= merchandise):
        return spent
    if merchandise <= 0 or refunded <= 0:
        return 0
    return min(spent, int((Decimal(spent) * refunded / merchandise).to_integral_value(rounding=ROUND_FLOOR)))


def give_back_spent(
    session: Session, shop: Shop, programme: ProgrammeSettings, row: OrderRow, refunded: Decimal, event_id: int | None
) -> list[int]:
    """Append what the order's state says should have come back of the points spent on its codes (see the
    module's docstring). Returns the pushes that disable the codes."""
    if programme.return_spent_points != "always" or not row.discount_codes:
        return []
    ended = bool(row.cancelled or row.fully_refunded)
    paid_codes = session.scalars(
        select(IssuedCode).where(
            IssuedCode.shop_id == shop.id,
            IssuedCode.code.in_([str(code).upper() for code in row.discount_codes][:20]),
            IssuedCode.points_paid.is_not(None),
        )
    ).all()
    requested: list[int] = []
    for code in paid_codes:
        level = spent_to_return(code.points_paid or 0, ended, row.merchandise_amount, refunded)
        so_far = _returned(session, shop.id, code.reason)
        if level <= so_far:
            continue
        entry = ledger.NewEntry(
            key=f"order:{row.order_id}:code:{code.code}:returned-to:{level}",
            kind="adjustment",
            points=level - so_far,
            source_type="redemption",
            source_id=code.reason[:64],
            rule=SPENT_RULE,
            amount=refunded if not ended else row.merchandise_amount,
            event_id=event_id,
        )
        if ledger.append(session, shop.id, code.customer_id, entry):
            push_id = outbox.request(
                session, shop.id, DISABLE_CODE, f"disable:{code.code}", code.code, {"code": code.code}
            )
            if push_id:
                requested.append(push_id)
    return requested


def _returned(session: Session, shop_id: int, reason: str) -> int:
    """Points of a redemption given back so far (for this order, or because the store refused the code)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.shop_id == shop_id,
            LedgerEntry.source_type == "redemption",
            LedgerEntry.source_id == reason[:64],
            LedgerEntry.points > 0,
        )
    )
    return int(total or 0)
