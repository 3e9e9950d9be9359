"""Points a customer spent on a code come back when the order that used the code is cancelled or refunded:
all of them for a cancellation or a full refund, in proportion to the merchandise refunded otherwise, never
more than were spent. Gift codes (not paid for with points) give nothing back.

The entries are ``adjustment``s with the rule ``spent_points_returned``, about the redemption (its reason
key), each keyed by the level it brings the returns of that code on that order to: a repeat, or the same
facts arriving in another order, appends nothing more. A returned code is disabled in the store through
the outbox, so the points can't come back and the code be used again.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.order_rows import OrderRow
from connector.db.tables import IssuedCode, LedgerEntry, Shop
from connector.outbox import requests as outbox
from connector.outbox.pushes import DISABLE_CODE
from connector.programme import ProgrammeSettings
from connector.settle import ledger

RULE = "spent_points_returned"


def target(spent: int, ended: bool, merchandise: Decimal, refunded: Decimal) -> int:
    """How many of ``spent`` points the order's state gives back."""
    if spent <= 0:
        return 0
    if ended or (merchandise > 0 and refunded >= merchandise):
        return spent
    if merchandise <= 0 or refunded <= 0:
        return 0
    return min(spent, int((Decimal(spent) * refunded / merchandise).to_integral_value(rounding=ROUND_FLOOR)))


def give_back(
    session: Session, shop: Shop, programme: ProgrammeSettings, row: OrderRow, refunded: Decimal, event_id: int | None
) -> tuple[int | None, list[int]]:
    """Append what the order's state says should have come back of the points spent on its codes. Returns
    the member whose balance changed, if any, and the pushes that disable the codes."""
    if programme.return_spent_points != "always" or not row.discount_codes:
        return None, []
    ended = bool(row.cancelled or row.fully_refunded)
    paid_codes = session.scalars(
        select(IssuedCode).where(
            IssuedCode.shop_id == shop.id,
            IssuedCode.code.in_([str(code).upper() for code in row.discount_codes][:20]),
            IssuedCode.points_paid.is_not(None),
        )
    ).all()
    changed: int | None = None
    requested: list[int] = []
    for code in paid_codes:
        level = target(code.points_paid or 0, ended, row.merchandise_amount, refunded)
        so_far = _returned(session, shop.id, code.reason)
        if level <= so_far:
            continue
        entry = ledger.NewEntry(
            key=f"order:{row.order_id}:code:{code.code}:returned-to:{level}",
            kind="adjustment",
            points=level - so_far,
            source_type="redemption",
            source_id=code.reason[:64],
            rule=RULE,
            amount=refunded if not ended else row.merchandise_amount,
            event_id=event_id,
        )
        if ledger.append(session, shop.id, code.customer_id, entry):
            changed = code.customer_id
            push_id = outbox.request(
                session, shop.id, DISABLE_CODE, f"disable:{code.code}", code.code, {"code": code.code}
            )
            if push_id:
                requested.append(push_id)
    return changed, requested


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
