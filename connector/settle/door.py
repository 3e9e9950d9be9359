"""The front door into settling: every change to a member comes in here, and what follows from it is derived
here, once.

A change is anything that can move a member's points, tier or standing: the store's events (a batch of
orders, refunds, shipments and accounts, carrier news, an uninstall or erasure), a redemption, an admin's
adjustment, an action another app reports, a referral decision, a survey answer, a step of a nightly job.
Each is a ``Change`` whose ``apply`` does its work in the caller's transaction and says what it asked for
itself (a code, a parcel's news, store credit). ``settle`` runs it while the ledger watches
(``ledger.watching``), then turns what the ledger saw into the follow-ups: a letter for each member who went
up a tier, a sync to the store of each member whose balance, tier or details moved, and the programme's
events about points, tiers and rewards for the merchant's tools. Nothing else asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, Push, Shop, utcnow
from connector.outbox import events, pushes, senders
from connector.outbox import requests as outbox
from connector.outbox.store_credit import CREDIT
from connector.programme import programme_of
from connector.settle import ledger

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Pushes = list[tuple[int, int]]
"""Push ids with their shop's id, to dispatch once the transaction commits."""


@dataclass(frozen=True)
class Applied(Generic[T]):
    """What a change returns to its caller, and the pushes it asked for itself."""

    result: T
    pushes: Pushes = field(default_factory=list)


class Change(Protocol[T_co]):
    """A change to members, applied in the caller's transaction."""

    def apply(self, session: Session) -> Applied[T_co]:
        """Do the change's own work: entries, codes, records. Syncs and letters are not its business."""
        ...


@dataclass(frozen=True)
class Step(Generic[T]):
    """A step of a nightly job on one shop (a chunk of members' expiry, tiers, gifts), as a change."""

    shop: Shop
    act: Callable[[Session, Shop], Applied[T]]

    def apply(self, session: Session) -> Applied[T]:
        """Run the step."""
        return self.act(session, self.shop)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a change did: its result, whom it moved, and every push asked for (its own and the follow-ups'),
    each once, to dispatch after the commit."""

    result: T
    moved: ledger.Moved
    pushes: Pushes


def settle(session: Session, change: Change[T]) -> Outcome[T]:
    """Apply ``change`` in ``session``'s transaction and derive its follow-ups from what the ledger saw."""
    with ledger.watching(session) as moved:
        applied = change.apply(session)
    told = announce(session, moved, applied.pushes)
    asked = dict.fromkeys([*applied.pushes, *follow_ups(session, moved), *told, *events.owed(session)])
    return Outcome(applied.result, moved, list(asked))


def follow_ups(session: Session, moved: ledger.Moved) -> Pushes:
    """The one place that turns moves into pushes: the tier letters, then the member syncs."""
    asked: Pushes = []
    today = utcnow().date().isoformat()
    for shop_id, up in sorted(moved.promoted.items()):
        shop = session.get(Shop, shop_id)
        if shop is None or not programme_of(shop).emails.tier:
            continue
        letters = [
            (f"tier-reached:customer:{member}:{today}", key, senders.written_later(senders.TIER_REACHED, member))
            for member, key in sorted(up.items())
        ]
        asked += [(push, shop_id) for push in outbox.request_many(session, shop_id, pushes.EMAIL, letters)]
    for shop_id, graced in sorted(moved.graced.items()):
        shop = session.get(Shop, shop_id)
        if shop is None or not programme_of(shop).emails.tier:
            continue
        letters = [
            (f"tier-grace:customer:{member}:{values['until']}", values["key"],
             senders.written_later(senders.TIER_GRACE, member, **{k: v for k, v in values.items() if k != "key"}))
            for member, values in sorted(graced.items())
        ]  # fmt: skip
        asked += [(push, shop_id) for push in outbox.request_many(session, shop_id, pushes.EMAIL, letters)]
    for shop_id, members in sorted(moved.members.items()):
        shop = session.get(Shop, shop_id)
        if shop is None or not members or not programme_of(shop).sync_customers:
            continue
        session.flush()  # members created by the change are read with the rest
        records = session.scalars(
            select(CustomerRecord).where(CustomerRecord.id.in_(members)).order_by(CustomerRecord.id)
        )
        for record in records:
            if push := pushes.request_customer_sync(session, shop, record):
                asked.append((push, shop_id))
    return asked


def entry_event(entry: ledger.NewEntry) -> str | None:
    """The event a ledger entry is: earned, reversed, redeemed, returned, adjusted or expired points."""
    if not entry.points:
        return None
    if entry.kind == "expiry":
        return "points.expired"
    if entry.kind in ("refund", "cancellation") or (entry.points < 0 and entry.kind in ("order", "referral")):
        return "points.reversed"
    if entry.kind == "redemption":
        return "points.redeemed" if entry.points < 0 else "points.returned"
    if entry.kind == "adjustment":
        return "points.returned" if entry.source_type == "redemption" else "points.adjusted"
    if entry.kind == "import":
        return "points.adjusted"
    return "points.earned"


def announce(session: Session, moved: ledger.Moved, asked: Pushes) -> Pushes:
    """The events the change caused: each ledger entry, each tier move, each reward it asked the store for."""
    by_shop: dict[int, list[events.NewEvent]] = {}
    for shop_id, member, entry in moved.entries:
        if (type_ := entry_event(entry)) is None:
            continue
        cause = {"type": entry.source_type, "id": entry.source_id, "rule": entry.rule}
        if entry.note:
            cause["note"] = entry.note
        said = by_shop.setdefault(shop_id, [])
        said.append(events.NewEvent(type_, f"{type_}:{entry.key}", member, cause, {"points": entry.points}))
        if entry.kind == "referral" and entry.points > 0:
            details = {"points": entry.points, "referral": entry.source_id}
            said.append(
                events.NewEvent("referral.completed", f"referral.completed:{entry.key}", member, cause, details)
            )
    for move in moved.tiers:
        direction = "up" if move.up else "down"
        details = {"from": move.before, "to": move.after, "direction": direction}
        key = f"tier.changed:{move.customer_id}:{move.before}>{move.after}:{move.reason}"
        cause = {"type": "tier_rule", "reason": move.reason}
        by_shop.setdefault(move.shop_id, []).append(
            events.NewEvent("tier.changed", key, move.customer_id, cause, details)
        )
    for push in _rewards(session, [push for push, _ in asked]):
        by_shop.setdefault(push.shop_id, []).extend(
            push_event for push_event in [reward_event(session, push)] if push_event
        )
    told: Pushes = []
    for shop_id, said in sorted(by_shop.items()):
        shop = session.get(Shop, shop_id)
        if shop is not None and said:
            told += events.emit(session, shop, said)
    return told


def _rewards(session: Session, ids: list[int]) -> list[Push]:
    if not ids:
        return []
    kinds = (pushes.DISCOUNT_CODE, CREDIT)
    return list(session.scalars(select(Push).where(Push.id.in_(ids), Push.kind.in_(kinds)).order_by(Push.id)))


def reward_event(session: Session, push: Push) -> events.NewEvent | None:
    """``reward.issued`` for a code or store credit asked of the store."""
    member = session.scalar(
        select(CustomerRecord.id).where(CustomerRecord.shop_id == push.shop_id, CustomerRecord.key == push.target)
    )
    payload = push.payload
    if push.kind == CREDIT:
        reward = {
            "kind": "store_credit",
            "value": payload["amount"],
            "currency": payload.get("currency"),
            "ends_at": None,
        }
    else:
        reward = {"kind": payload["kind"], "code": payload["code"], "value": payload["value"],
                  "ends_at": payload.get("ends_at"), "why": pushes.code_why(payload["reason"])}  # fmt: skip
    cause = {"type": "reward", "id": push.key}
    return events.NewEvent("reward.issued", f"reward.issued:{push.key}", member, cause, {"reward": reward})
