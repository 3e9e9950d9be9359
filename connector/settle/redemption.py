"""Turning points into a single-use discount code: atomic for the customer, and undone if the store refuses.

The deduction, the code's push and the member sync are written in one transaction while the member's row
is locked, so two redemptions at once can never spend the same points. If the store refuses the code for
good, a compensating ledger entry gives the points back.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.errors import Invalid
from connector.inputs import InputError, whole_number
from connector.outbox import pushes, senders, store_credit
from connector.outbox import requests as outbox
from connector.programme import programme_of, shop_currency
from connector.settle import door, ledger
from connector.settle.ledger import MAX_POINTS_PER_ENTRY

log = logging.getLogger(__name__)

CODE_DAYS = 90
DISCOUNT_CODE = "discount_code"
STORE_CREDIT = "store_credit"
REDEEM_RULE = "points_for_code"
RETURN_RULE = "code_refused_points_returned"
CREDIT_REFUSED_RULE = "store_credit_refused"


class RedemptionError(Invalid):
    """A redemption can't go ahead; the message says why (to show the customer)."""


@dataclass(frozen=True)
class Redeemed:
    """A redemption's outcome: the code or store credit (on its way to the store), what it cost and is worth."""

    code: str | None
    points: int
    value: Decimal
    balance: int
    repeated: bool
    pushes: list[tuple[int, int]]
    reward: str = DISCOUNT_CODE
    """``discount_code`` or ``store_credit``."""
    currency: str | None = None
    fallback: bool = False
    """Store credit was asked for but the shop can't give it yet (a scope to re-approve): a code instead."""


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
        outcome = door.settle(session, Redeem(shop_id, customer_id, points, key))
    return replace(outcome.result, pushes=outcome.pushes)


@dataclass(frozen=True)
class Redeem:
    """The front door's change for a redemption (checked values: see ``redeem``)."""

    shop_id: int
    customer_id: int
    points: int
    key: str | None

    def apply(self, session: Session) -> door.Applied[Redeemed]:
        """Spend the points on a code or store credit, the member's row locked; the same key again is the
        same outcome, repeated."""
        shop_id, customer_id, points, key = self.shop_id, self.customer_id, self.points, self.key
        shop = session.get(Shop, shop_id)
        customer = session.get(CustomerRecord, customer_id, with_for_update=True, populate_existing=True)
        if shop is None or customer is None or customer.shop_id != shop_id:
            raise LookupError("no such member")
        rules = programme_of(shop).redemption
        reason = f"redeem:{customer.id}:{key or uuid.uuid4().hex}"
        value = (Decimal(points) / rules.points_per_unit).quantize(Decimal("0.01"))
        wants_credit = rules.reward == STORE_CREDIT
        credit = wants_credit and bool(customer.platform_id) and store_credit.ready(shop)
        currency = shop_currency(shop)
        if ledger.has_entry(session, shop.id, reason):
            if store_credit.asked(session, shop.id, reason):
                return door.Applied(Redeemed(None, points, value, customer.points, True, [], STORE_CREDIT, currency))
            code = pushes.derive_code(shop.code_secret or "", reason)
            repeated = Redeemed(code, points, value, customer.points, repeated=True, pushes=[], currency=currency)
            return door.Applied(repeated)
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
        push_id, code = _reward(session, shop, customer, reason, points, value, credit)
        session.refresh(customer)
        log.info(
            "redemption: shop %s customer %s spent %s points for %s %s as %s",
            shop.id, customer.id, points, value, currency or "", "store credit" if credit else "a code",
        )  # fmt: skip
        asked = [(push_id, shop.id)] if push_id else []
        redeemed = Redeemed(
            code,
            points,
            value,
            customer.points,
            repeated=False,
            pushes=asked,
            reward=STORE_CREDIT if credit else DISCOUNT_CODE,
            currency=currency,
            fallback=wants_credit and not credit,
        )
        return door.Applied(redeemed, asked)


def _reward(
    session: Session, shop: Shop, customer: CustomerRecord, reason: str, points: int, value: Decimal, credit: bool
) -> tuple[int | None, str | None]:
    """Ask the store for what the points bought: store credit, or a single-use code. Returns the push and the
    code (None for credit)."""
    rules = programme_of(shop).redemption
    if credit:
        asked = store_credit.request(
            session,
            shop,
            customer,
            direction=store_credit.CREDIT,
            reason="redemption",
            key=reason,
            amount=value,
            currency=shop_currency(shop) or "",
            points=points,
            expires_at=utcnow() + timedelta(days=rules.credit_days) if rules.credit_days else None,
        )
        return asked.push_id, None
    return pushes.issue_discount_code(
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


def return_points(
    session: Session, shop_id: int, reason_key: str, redemption: dict[str, Any], rule: str = RETURN_RULE
) -> bool:
    """Give back the points of a redemption whose code or store credit the store refused for good (once)."""
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
            rule=rule,
        ),
    )


def undo(claimed: outbox.Claimed) -> outbox.FollowUp:
    """What a push that failed for good had taken comes back: a redemption's points."""

    def give_back(session: Session) -> list[int]:
        return [push for push, _ in door.settle(session, _GiveBack(claimed)).pushes]

    return give_back


@dataclass(frozen=True)
class _GiveBack:
    """The front door's change for a push that failed for good: what it had taken comes back."""

    claimed: outbox.Claimed

    def apply(self, session: Session) -> door.Applied[None]:
        """Return a refused code's or credit's points (once), and tell the member of refused credit."""
        claimed = self.claimed
        redemption = claimed.payload.get("redemption")
        if claimed.kind == pushes.DISCOUNT_CODE and redemption:
            return_points(session, claimed.shop.shop_id, claimed.payload["reason"], redemption)
        if claimed.kind in (store_credit.CREDIT, store_credit.DEBIT):
            store_credit.refused(session, claimed)
        if claimed.kind == store_credit.CREDIT and redemption:
            customer_id = int(redemption["customer"])
            key = claimed.payload["reason"]
            if return_points(session, claimed.shop.shop_id, key, redemption, CREDIT_REFUSED_RULE):
                letter = senders.written_later(
                    senders.STORE_CREDIT_REFUSED, customer_id, points=int(redemption["points"])
                )
                pushed = outbox.request(
                    session,
                    claimed.shop.shop_id,
                    pushes.EMAIL,
                    f"refused-email:{key}",
                    f"customer:{customer_id}",
                    letter,
                )
                return door.Applied(None, [(pushed, claimed.shop.shop_id)] if pushed else [])
        return door.Applied(None)
