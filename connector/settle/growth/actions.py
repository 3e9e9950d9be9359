"""Points for actions other apps report (a review, a newsletter sign-up): each occurrence once (its key),
at most ``daily_cap`` a day per member and action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, LedgerEntry, Shop, utcnow
from connector.errors import Conflict, Invalid
from connector.programme import programme_of
from connector.settle import ledger

MAX_KEY = 200


class ActionError(Invalid):
    """The action can't be recorded; the message names the field."""


class OverCap(Conflict, ValueError):
    """The member reached the action's daily cap; ``resets_at`` says when it resets (midnight UTC)."""

    def __init__(self, action: str, cap: int, resets_at: datetime) -> None:
        super().__init__(f"{action} earns points at most {cap} times a day; it resets at {resets_at.isoformat()}")
        self.resets_at = resets_at


@dataclass(frozen=True)
class Recorded:
    """What recording an action did."""

    points: int
    repeat: bool


def record(
    session: Session, shop: Shop, member: CustomerRecord, action: object, key: object, now: datetime | None = None
) -> Recorded:
    """Give the member the action's points for the occurrence ``key``; the same key again is a no-op."""
    now = now or utcnow()
    known = {a.name: a for a in programme_of(shop).actions}
    if not isinstance(action, str) or action not in known:
        names = ", ".join(known) or "none are set up"
        raise ActionError(f"action must be one the shop rewards ({names}), got {str(action)[:40]!r}")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY or not key.isprintable():
        raise ActionError(f"key must be a text unique to this occurrence, at most {MAX_KEY} characters")
    entry_key = f"action:{action}:{key.strip()}"
    session.get(CustomerRecord, member.id, with_for_update=True)  # one member's actions count in turn
    if ledger.has_entry(session, shop.id, entry_key):
        return Recorded(0, repeat=True)
    rule = known[action]
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = session.scalar(
        select(func.count()).where(
            LedgerEntry.shop_id == shop.id,
            LedgerEntry.customer_id == member.id,
            LedgerEntry.kind == "action",
            LedgerEntry.rule == action,
            LedgerEntry.created_at >= day,
        )
    )
    if (today or 0) >= rule.daily_cap:
        raise OverCap(action, rule.daily_cap, day + timedelta(days=1))
    added = ledger.append(
        session,
        shop.id,
        member.id,
        ledger.NewEntry(
            key=entry_key,
            kind="action",
            points=rule.points,
            source_type="action",
            source_id=key.strip()[:64],
            rule=action,
        ),
    )
    return Recorded(rule.points if added else 0, repeat=not added)
