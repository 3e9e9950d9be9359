"""Points for actions other apps report (a review, a newsletter sign-up): each occurrence once (its key),
at most ``daily_cap`` a day per member and action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop, utcnow
from connector.errors import Conflict, Invalid, NotFound
from connector.programme import programme_of
from connector.settle import door, ledger

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


@dataclass(frozen=True)
class Done:
    """An action recorded through the front door: its points, whether the key was seen before, the balance
    after, and the pushes to dispatch."""

    points: int
    repeat: bool
    balance: int
    pushes: list[tuple[int, int]]


def record_for(storage: Storage, shop_id: int, member_id: int, action: object, key: object) -> Done:
    """``record`` for a member of a shop, in a transaction of its own, through the front door."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        member = session.get(CustomerRecord, member_id)
        if shop is None or member is None or member.shop_id != shop_id:
            raise NotFound("no such customer in this shop yet")
        change = door.Step(shop, lambda s, shop: door.Applied(record(s, shop, member, action, key)))
        outcome = door.settle(session, change)
        session.refresh(member)
        return Done(outcome.result.points, outcome.result.repeat, member.points, outcome.pushes)
