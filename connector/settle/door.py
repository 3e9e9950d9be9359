"""The front door into settling: every change to a member comes in here, and what follows from it is derived
here, once.

A change is anything that can move a member's points, tier or standing: the store's events (a batch of
orders, refunds, shipments and accounts, carrier news, an uninstall or erasure), a redemption, an admin's
adjustment, an action another app reports, a referral decision, a survey answer, a step of a nightly job.
Each is a ``Change`` whose ``apply`` does its work in the caller's transaction and says what it asked for
itself (a code, a parcel's news, store credit). ``settle`` runs it while the ledger watches
(``ledger.watching``), then turns what the ledger saw into the follow-ups: a letter for each member who went
up a tier, and a sync to the store of each member whose balance, tier or details moved. Nothing else asks
for either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.outbox import pushes, senders
from connector.outbox import requests as outbox
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
    asked = dict.fromkeys([*applied.pushes, *follow_ups(session, moved)])
    return Outcome(applied.result, moved, list(asked))


def follow_ups(session: Session, moved: ledger.Moved) -> Pushes:
    """The one place that turns moves into pushes: the tier letters, then the member syncs."""
    asked: Pushes = []
    today = utcnow().date().isoformat()
    for shop_id, up in sorted(moved.promoted.items()):
        letters = [
            (f"tier-reached:customer:{member}:{today}", key, senders.written_later(senders.TIER_REACHED, member))
            for member, key in sorted(up.items())
        ]
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
