"""Turning points into a single-use discount code: atomic for the customer, and undone if the store refuses.

The deduction, the code's push and the member sync are written in one transaction while the member's row
is locked, so two redemptions at once can never spend the same points. If the store refuses the code for
good, a compensating ledger entry gives the points back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.inputs import InputError, whole_number
from connector.outbox import pushes
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.settle import ledger
from connector.settle.ledger import MAX_POINTS_PER_ENTRY

CODE_DAYS = 90
REDEEM_RULE = "points_for_code"
RETURN_RULE = "code_refused_points_returned"


class RedemptionError(ValueError):
    """A redemption can't go ahead; the message says why (to show the customer)."""


@dataclass(frozen=True)
class Redeemed:
    """A redemption's outcome: the code (on its way to the store), what it cost and is worth."""

    code: str
    points: int
    value: Decimal
    balance: int
    repeated: bool
    pushes: list[tuple[int, int]]


def redeem(storage: Storage, shop_id: int, customer_id: int, points: Any, key: str | None = None) -> Redeemed:
    """Spend ``points`` of a member's balance on a code. ``key`` makes a retried request a no-op that returns
    the same code."""
    try:
        points = whole_number(points, "points", low=1, high=MAX_POINTS_PER_ENTRY)
    except InputError:
        raise RedemptionError(f"points must be a whole number from 1 to {MAX_POINTS_PER_ENTRY:,}") from None
    if key is not None and (not isinstance(key, str) or not key or len(key) > 100 or not key.isprintable()):
        raise RedemptionError("key must be a short printable text")
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        customer = session.get(CustomerRecord, customer_id, with_for_update=True, populate_existing=True)
        if shop is None or customer is None or customer.shop_id != shop_id:
            raise LookupError("no such member")
        rules = programme_of(shop).redemption
        reason = f"redeem:{customer.id}:{key or uuid.uuid4().hex}"
        value = (Decimal(points) / rules.points_per_unit).quantize(Decimal("0.01"))
        if ledger.has_entry(session, shop.id, reason):
            code = pushes.derive_code(shop.code_secret or "", reason)
            return Redeemed(code, points, value, customer.points, repeated=True, pushes=[])
        if points < rules.minimum_points or points % rules.step_points:
            raise RedemptionError(f"redeem at least {rules.minimum_points} points, in steps of {rules.step_points}")
        if customer.points < points:
            raise RedemptionError(f"not enough points: the balance is {customer.points}")
        ledger.append(
            session,
            shop.id,
            customer.id,
            ledger.NewEntry(
                key=reason,
                kind="redemption",
                points=-points,
                source_type="redemption",
                source_id=reason,
                rule=REDEEM_RULE,
                rate=Decimal(1) / rules.points_per_unit,
                amount=value,
            ),
        )
        push_id, code = pushes.issue_discount_code(
            session,
            shop,
            customer,
            kind="fixed_amount",
            value=value,
            ends_at=utcnow() + timedelta(days=CODE_DAYS),
            reason_key=reason,
            title=f"{points} points",
            redemption={"customer": customer.id, "points": points},
        )
        session.refresh(customer)
        requested = [p for p in (push_id, pushes.request_customer_sync(session, shop, customer)) if p]
        return Redeemed(code, points, value, customer.points, repeated=False, pushes=[(p, shop.id) for p in requested])


def return_points(session: Session, shop_id: int, reason_key: str, redemption: dict[str, Any]) -> bool:
    """Give back the points of a redemption whose code the store refused for good (once)."""
    return ledger.append(
        session,
        shop_id,
        int(redemption["customer"]),
        ledger.NewEntry(
            key=f"{reason_key}:returned",
            kind="adjustment",
            points=int(redemption["points"]),
            source_type="redemption",
            source_id=reason_key,
            rule=RETURN_RULE,
        ),
    )


def undo(claimed: outbox.Claimed) -> outbox.FollowUp:
    """What a push that failed for good had taken comes back: a redemption's points."""

    def give_back(session: Session) -> list[int]:
        redemption = claimed.payload.get("redemption")
        if claimed.kind == pushes.DISCOUNT_CODE and redemption:
            return_points(session, claimed.shop.shop_id, claimed.payload["reason"], redemption)
        return []

    return give_back
