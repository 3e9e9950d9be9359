"""An admin changing a customer's balance by hand: positive or negative, with a reason, never below zero,
recorded as an ``adjustment`` entry that names the admin; the same key twice changes it once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord
from connector.errors import Forbidden, Invalid
from connector.inputs import InputError, whole_number
from connector.ops.merchants import audit
from connector.settle import door, ledger

log = logging.getLogger(__name__)

RULE = "admin_adjustment"
MAX_REASON = 200


class AdjustmentError(Invalid):
    """An adjustment that can't be made; the message says why."""


@dataclass(frozen=True)
class Adjusted:
    """The outcome: the points moved, the balance after, and whether this key had been used already."""

    points: int
    balance: int
    repeated: bool
    pushes: list[tuple[int, int]]


def _checked(points: Any, reason: Any, key: Any) -> tuple[int, str, str]:
    try:
        points = whole_number(points, "points", low=-ledger.MAX_POINTS_PER_ENTRY, high=ledger.MAX_POINTS_PER_ENTRY)
    except InputError as exc:
        raise AdjustmentError(str(exc)) from None
    if points == 0:
        raise AdjustmentError("points must not be 0: give the points to add, or to take away with a minus sign")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON or not reason.isprintable():
        raise AdjustmentError(f"reason is required: say why, in at most {MAX_REASON} characters")
    if not isinstance(key, str) or not key or len(key) > 100 or not key.isprintable():
        raise AdjustmentError("key is required: a short text unique to this adjustment, sent again on a retry")
    return points, reason.strip(), key


def adjust(
    storage: Storage,
    shop_id: int,
    customer_id: int,
    points: Any,
    reason: Any,
    key: Any,
    by: str,
    *,
    limit: int | None = None,
    source: str | None = None,
) -> Adjusted:
    """Move a member's balance by ``points`` (at most ``limit`` either way, where the one asking has a limit).
    LookupError for an unknown member, AdjustmentError for a bad value or a balance that would go below zero,
    OverLimit past the limit. The change is in the shop's audit trail."""
    points, reason, key = _checked(points, reason, key)
    if limit is not None and abs(points) > limit:
        raise OverLimit(f"your role may adjust a balance by at most {limit:,} points at a time")
    with storage.session() as session:
        outcome = door.settle(session, Adjust(shop_id, customer_id, points, reason, key, by))
        if not outcome.result.repeated:
            subject = f"customer {customer_id}"
            audit.record(
                session, shop_id, by, source, "adjustment", subject, None, {"points": points, "reason": reason}
            )
    return replace(outcome.result, pushes=outcome.pushes)


class OverLimit(Forbidden):
    """An adjustment past what the one asking may make."""


@dataclass(frozen=True)
class Adjust:
    """The front door's change for an adjustment (checked values: see ``adjust``)."""

    shop_id: int
    customer_id: int
    points: int
    reason: str
    key: str
    by: str

    def apply(self, session: Session) -> door.Applied[Adjusted]:
        """Append the adjustment, the member's row locked; its key again changes nothing."""
        shop_id, points = self.shop_id, self.points
        customer = session.get(CustomerRecord, self.customer_id, with_for_update=True, populate_existing=True)
        if customer is None or customer.shop_id != shop_id:
            raise LookupError("no such customer")
        entry_key = f"adjustment:{customer.id}:{self.key}"
        if ledger.has_entry(session, shop_id, entry_key):
            return door.Applied(Adjusted(points, customer.points, repeated=True, pushes=[]))
        if customer.points + points < 0:
            raise AdjustmentError(
                f"this would take the balance below zero: the customer has {customer.points:,} points"
            )
        ledger.append(
            session,
            shop_id,
            customer.id,
            ledger.NewEntry(
                key=entry_key,
                kind="adjustment",
                points=points,
                source_type="admin",
                source_id=self.by[:64],
                rule=RULE,
                note=self.reason,
            ),
        )
        session.refresh(customer)
        log.info("adjustment: shop %s customer %s %+d points by %s", shop_id, customer.id, points, self.by)
        return door.Applied(Adjusted(points, customer.points, repeated=False, pushes=[]))
