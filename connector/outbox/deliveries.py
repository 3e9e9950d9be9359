"""Carrying out the deliveries of the programme's events: to a URL (signed as Standard Webhooks), to Klaviyo
(the event as a metric, with the member's loyalty profile properties as they are when it is sent), or to
Shopify Flow (a trigger). Deliveries about one member to one destination go in order: a later one waits
while an earlier one is still on its way. A destination that has failed for three days is turned off, with a
care item (and so an e-mail to the care address)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from adapters import automation, event_destination
from adapters.base import PermanentStoreError, RetryableStoreError, StoreAdapter, StoreError
from adapters.destination_base import PROFILE, DestinationAccess, Message
from connector.config import Config
from connector.db.after_delivery import CareItem
from connector.db.merchants import EventDestination, ProgrammeEvent
from connector.db.referrals import ReferralLink
from connector.db.storage import Storage, upsert_insert
from connector.db.tables import CustomerRecord, Push, Shop, utcnow
from connector.outbox import events, letters, pushes
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.queue.connection import current_queue

FAILING_FOR = timedelta(days=3)
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
"""Seconds before each retry of a delivery (as Standard Webhooks suggests): the first within half a minute,
the last about 27 hours after the first try."""
WAIT_FOR_EARLIER_SECONDS = 3600
"""A delivery behind an earlier one about the same member checks again this late at most: the earlier one
wakes it as soon as it is done or has failed for good (``next_in_line``)."""
KEEP_GOING_SECONDS = 5.0
"""A delivery job goes on with the destination's other ready events for this long at most."""
BACKGROUND_NICENESS_ENV = "SADAKAT_JOB_NICENESS"
"""Set by ``sadakat worker`` for its job processes: how much lower a backlog's deliveries run."""
READY_AT_ONCE = 25
"""It claims this many of them at a time (each the first of its member's): one query finds them all."""
PROFILE_BATCH = 100
"""At most this many members' profiles go to Klaviyo in one request (Bulk Import Profiles)."""


def retry_delay(attempts: int) -> float:
    """How long a delivery waits after its ``attempts``-th try failed."""
    return float(SCHEDULE[min(attempts, len(SCHEDULE)) - 1])


def message_id(shop_id: int, key: str) -> str:
    """The event's ``webhook-id``: the same on every retry and every "send again"."""
    return "msg_" + hashlib.sha256(f"{shop_id}:{key}".encode()).hexdigest()[:26]


def deliver(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    """Send one event (or a member's profile) to its destination; then, while the destination answers, the
    other events ready for it (each member's next, in order) in the same job, for a few seconds at most."""
    done = _deliver_one(storage, claimed, config)
    if claimed.kind == events.DELIVERY and "event" in claimed.payload:
        _deliver_ready(storage, claimed, config)
    return done


def _deliver_ready(storage: Storage, first: outbox.Claimed, config: Config) -> None:
    _give_way()
    deadline, helped = time.monotonic() + KEEP_GOING_SECONDS, False
    while time.monotonic() < deadline:
        taken = _take_ready(storage, first, READY_AT_ONCE)
        if not taken:
            return
        if len(taken) == READY_AT_ONCE and not helped:  # more is ready than one job carries: ask another worker
            helped = _ask_for_help(storage, first, config)
        delivered: list[tuple[outbox.Claimed, str | None]] = []
        for at, claimed in enumerate(taken):
            try:
                delivered.append((claimed, _deliver_one(storage, claimed, config)))
            except StoreError as exc:  # it waits for its own retry (or the sweeper's), as if tried on its own
                outbox.complete_many(storage, delivered)
                wait = exc.wait_seconds if isinstance(exc, RetryableStoreError) else 0
                outbox.retry_later(storage, claimed, str(exc), wait, schedule=retry_delay(claimed.attempts))
                _untake(storage, taken[at + 1 :])
                return
        outbox.complete_many(storage, delivered)  # one write for the batch: SQLite's writers wait less
        storage.let_writers_in()  # webhooks being stored come first


def _give_way() -> None:
    """A backlog's deliveries are background work: in a worker's forked job process (which ends with the job),
    the kernel is asked to give the web server and settling the CPU first."""
    if os.environ.get(BACKGROUND_NICENESS_ENV):
        with contextlib.suppress(OSError):
            os.nice(int(os.environ[BACKGROUND_NICENESS_ENV]))


def _ready(shop_id: int, destination_id: int, limit: int = 1) -> Any:
    """The shop's event deliveries to the destination that may go now: pending, with nothing earlier about the
    same member still on its way (so each is the first of its member's, and they may go in any order)."""
    earlier = aliased(Push)
    on_its_way = (
        select(earlier.id)
        .where(earlier.shop_id == Push.shop_id, earlier.target == Push.target, earlier.id < Push.id)
        .where(earlier.status.in_((Push.PENDING, Push.RUNNING)))
    )
    return (
        select(Push.id)
        .where(Push.shop_id == shop_id, Push.kind == events.DELIVERY, Push.status == Push.PENDING)
        .where(Push.target.like(f"destination:{destination_id}:%"), Push.key.like("event:%"), ~on_its_way.exists())
        .order_by(Push.id)
        .limit(limit)
    )


def _take_ready(storage: Storage, first: outbox.Claimed, limit: int) -> list[outbox.Claimed]:
    """Claim up to ``limit`` deliveries ready for the destination, in one query and one update."""
    with storage.session() as session:
        ready = list(session.scalars(_ready(first.shop.shop_id, int(first.payload["destination"]), limit)))
        if not ready:
            return []
        rows = session.execute(
            update(Push)
            .where(Push.id.in_(ready), Push.status == Push.PENDING)
            .values(status=Push.RUNNING, claimed_at=utcnow(), attempts=Push.attempts + 1)
            .returning(Push.id, Push.payload, Push.generation, Push.attempts)
        ).all()
    return [
        outbox.Claimed(
            row.id, events.DELIVERY, dict(row.payload), row.generation, row.attempts, first.platform, first.shop
        )
        for row in sorted(rows, key=lambda row: row.id)
    ]


def _ask_for_help(storage: Storage, first: outbox.Claimed, config: Config) -> bool:
    """Queue a job for one more ready delivery: it goes on with the backlog too, so idle workers join in."""
    with storage.session(read_only=True) as session:
        ready = session.scalar(_ready(first.shop.shop_id, int(first.payload["destination"])))
    if ready is not None:
        pushes.dispatch(storage, current_queue(config), [(ready, first.shop.shop_id)])
    return True


def _untake(storage: Storage, claimed: list[outbox.Claimed]) -> None:
    """Give back deliveries claimed but not tried: pending again, the attempt not counted."""
    if claimed:
        with storage.session() as session:
            session.execute(
                update(Push)
                .where(Push.id.in_([c.id for c in claimed]), Push.status == Push.RUNNING)
                .values(status=Push.PENDING, attempts=Push.attempts - 1)
            )


def _deliver_one(storage: Storage, claimed: outbox.Claimed, config: Config) -> str | None:
    with storage.session(read_only=True) as session:
        destination, message = _prepared(session, claimed, config)
        access = DestinationAccess(
            destination.url, destination.secret or "", allow_private=config.allow_private_store_addresses
        )
        kind, destination_id, was_failing = destination.kind, destination.id, destination.failing_since is not None
    taken = _more_profiles(storage, claimed, destination_id, config) if message.type == PROFILE else []
    if taken:
        profiles = [message.data, *(data for _, _, data in taken)]
        message = Message(message.id, PROFILE, message.timestamp, {"profiles": profiles})
    try:
        if kind == events.FLOW:
            tool = automation(claimed.platform)
            if tool is None:
                raise PermanentStoreError("the store's platform has no Flow")
            done = tool.fire(claimed.shop, message.data.pop("handle"), message.data)
        else:
            done = event_destination(kind).deliver(access, message)
    except StoreError as exc:
        _put_back(storage, taken)
        _failed(storage, destination_id, str(exc))
        raise
    _finish(storage, taken, done)
    if was_failing:
        _worked(storage, destination_id)
    return done


def next_in_line(claimed: outbox.Claimed) -> outbox.FollowUp:
    """Once a delivery is done (or has failed for good), wake the next one waiting behind it (the same
    destination, the same member), else one more that is ready for the destination."""

    def wake(session: Session) -> list[int]:
        if claimed.kind not in (events.DELIVERY, events.FLOW_TRIGGER):
            return []
        target = session.scalar(select(Push.target).where(Push.id == claimed.id))
        waiting = session.scalar(
            select(Push.id)
            .where(Push.shop_id == claimed.shop.shop_id, Push.target == target, Push.id > claimed.id)
            .where(Push.status == Push.PENDING)
            .order_by(Push.id)
            .limit(1)
        )
        if waiting is None and "destination" in claimed.payload:  # one job more for what is still ready
            waiting = session.scalar(_ready(claimed.shop.shop_id, int(claimed.payload["destination"])))
        return [waiting] if waiting is not None else []

    return wake


def _more_profiles(
    storage: Storage, claimed: outbox.Claimed, destination_id: int, config: Config
) -> list[tuple[int, int, dict[str, Any]]]:
    """Other members' profiles waiting for the same destination, taken (as running) to go in one request:
    (push id, its generation, the profile) each."""
    with storage.session() as session:
        waiting = list(
            session.scalars(
                select(Push.id)
                .where(Push.shop_id == claimed.shop.shop_id, Push.kind == events.DELIVERY, Push.id != claimed.id)
                .where(Push.status == Push.PENDING, Push.key.like(f"profile:{destination_id}:%"))
                .order_by(Push.id)
                .limit(PROFILE_BATCH - 1)
            )
        )
        if not waiting:
            return []
        taken = session.execute(
            update(Push)
            .where(Push.id.in_(waiting), Push.status == Push.PENDING)
            .values(status=Push.RUNNING, claimed_at=utcnow(), attempts=Push.attempts + 1)
            .returning(Push.id, Push.generation, Push.payload)
        ).all()
        shop = session.get(Shop, claimed.shop.shop_id)
        assert shop is not None
        wanted = [int(row.payload["profile"]) for row in taken]
        members = {m.id: m for m in session.scalars(select(CustomerRecord).where(CustomerRecord.id.in_(wanted)))}
        found = []
        for push_id, generation, payload in taken:
            member = members.get(int(payload["profile"]))
            if member is not None:
                data = {"customer": events.customer_view(member, programme_of(shop).locale)}
                data["klaviyo_properties"] = loyalty_properties(session, shop, member, config)
                found.append((push_id, generation, data))
        return found


def _finish(storage: Storage, taken: list[tuple[int, int, dict[str, Any]]], done: str | None) -> None:
    """Mark the profiles that went along done, unless a newer state was asked for meanwhile (then pending)."""
    if not taken:
        return
    with storage.session() as session:
        for push_id, generation, _ in taken:
            finished = session.execute(
                update(Push)
                .where(Push.id == push_id, Push.generation == generation, Push.status == Push.RUNNING)
                .values(status=Push.DONE, store_object_id=done, last_error=None, done_at=utcnow())
                .returning(Push.id)
            ).first()
            if finished is None:
                session.execute(
                    update(Push).where(Push.id == push_id, Push.status == Push.RUNNING).values(status=Push.PENDING)
                )


def _put_back(storage: Storage, taken: list[tuple[int, int, dict[str, Any]]]) -> None:
    """The request failed: the profiles that went along wait again (their own try not counted)."""
    if not taken:
        return
    with storage.session() as session:
        session.execute(
            update(Push)
            .where(Push.id.in_([push_id for push_id, _, _ in taken]), Push.status == Push.RUNNING)
            .values(status=Push.PENDING, attempts=Push.attempts - 1)
        )


def _prepared(session: Session, claimed: outbox.Claimed, config: Config) -> tuple[EventDestination, Message]:
    destination = session.get(EventDestination, claimed.payload["destination"])
    if destination is None:
        raise PermanentStoreError("the destination was removed")
    if not destination.enabled:
        raise PermanentStoreError("the destination is turned off")
    target = session.scalar(select(Push.target).where(Push.id == claimed.id))
    earlier = session.scalar(
        select(Push.id)
        .where(Push.shop_id == claimed.shop.shop_id, Push.target == target, Push.id < claimed.id)
        .where(Push.status.in_((Push.PENDING, Push.RUNNING)))
        .limit(1)
    )
    if earlier is not None:
        raise RetryableStoreError("an earlier delivery about this member is on its way", WAIT_FOR_EARLIER_SECONDS,
                                  throttled=True)  # fmt: skip
    shop = session.get(Shop, claimed.shop.shop_id)
    assert shop is not None
    if "profile" in claimed.payload:
        member = session.get(CustomerRecord, claimed.payload["profile"])
        if member is None:
            raise PermanentStoreError("the member was erased")
        data = {"customer": events.customer_view(member, programme_of(shop).locale)}
        data["klaviyo_properties"] = loyalty_properties(session, shop, member, config)
        return destination, Message(message_id(shop.id, f"profile:{member.id}"), PROFILE, utcnow(), data)
    event = session.get(ProgrammeEvent, claimed.payload["event"])
    if event is None:
        raise PermanentStoreError("the event is gone (its member was erased)")
    data = dict(event.data)
    if destination.kind == events.KLAVIYO and event.customer_id is not None:
        member = session.get(CustomerRecord, event.customer_id)
        if member is not None:
            data["klaviyo_properties"] = loyalty_properties(session, shop, member, config)
    if destination.kind == events.FLOW:
        data = flow_payload(event.type, data)
    return destination, Message(message_id(shop.id, event.key), event.type, event.created_at, data)


def flow_payload(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """What a Flow trigger carries: the customer reference Flow acts on, and the trigger's fields by name."""
    customer = data.get("customer") or {}
    payload: dict[str, Any] = {"handle": events.FLOW_TRIGGERS[type_]}
    if customer.get("id"):
        payload["customer_id"] = int(customer["id"]) if str(customer["id"]).isdigit() else customer["id"]
    payload["Points balance"] = data.get("balance") or 0
    if type_ == "tier.changed":
        payload |= {"Tier before": data.get("from") or "", "Tier after": data.get("to") or "",
                    "Direction": data.get("direction") or ""}  # fmt: skip
    elif type_ == "points.expiring":
        payload |= {"Points expiring": data.get("points") or 0, "Expires on": data.get("expires_on") or ""}
    elif type_ == "reward.issued":
        reward = data.get("reward") or {}
        payload |= {"Reward kind": reward.get("kind") or "", "Reward value": str(reward.get("value") or ""),
                    "Reward code": reward.get("code") or ""}  # fmt: skip
    elif type_ == "segment.changed":
        payload |= {"Segment before": data.get("from") or "", "Segment after": data.get("to") or ""}
    elif type_ == "survey.answered":
        payload |= {"Score": data.get("score") or 0, "Order id": data.get("order_id") or ""}
    return payload


def loyalty_properties(session: Session, shop: Shop, member: CustomerRecord, config: Config) -> dict[str, Any]:
    """The member's loyalty profile properties in Klaviyo, as they are now."""
    link = session.scalar(select(ReferralLink.code).where(ReferralLink.customer_id == member.id))
    expiring = session.scalar(
        select(ProgrammeEvent.data)
        .where(ProgrammeEvent.customer_id == member.id, ProgrammeEvent.type == "points.expiring")
        .order_by(ProgrammeEvent.id.desc())
        .limit(1)
    )
    on = (expiring or {}).get("expires_on")
    still = on is not None and date.fromisoformat(on) >= utcnow().date() and member.points > 0
    return {
        "Loyalty Points": int(member.points),
        "Loyalty Tier": member.tier or "",
        "Loyalty Referral URL": f"{config.public_url}/r/{shop.handle}/{link}" if link else "",
        "Loyalty Segment": member.segment or "",
        "Loyalty Points Expiring": int(min(expiring["points"], member.points)) if still and expiring else 0,
        "Loyalty Points Expiring On": on if still else "",
        "Loyalty Rewards Page": letters.rewards_url(config.public_url, shop.handle),
    }


def _worked(storage: Storage, destination_id: int) -> None:
    with storage.session() as session:
        session.execute(
            update(EventDestination)
            .where(EventDestination.id == destination_id, EventDestination.failing_since.is_not(None))
            .values(failing_since=None)
        )


def _failed(storage: Storage, destination_id: int, error: str) -> None:
    """Note that the destination fails; one failing for three days is turned off, with a care item."""
    now = utcnow()
    with storage.session() as session:
        destination = session.get(EventDestination, destination_id, with_for_update=True)
        if destination is None or not destination.enabled:
            return
        if destination.failing_since is None:
            destination.failing_since = now
            return
        if now - destination.failing_since < FAILING_FOR:
            return
        destination.enabled = False
        destination.disabled_reason = f"failing since {destination.failing_since:%Y-%m-%d %H:%M} UTC: {error}"[:2000]
        session.execute(
            upsert_insert(session, CareItem)
            .values(
                shop_id=destination.shop_id,
                key=f"destination_disabled:{destination.id}:{now:%Y%m%d%H%M}",
                kind="destination_disabled",
                status=CareItem.OPEN,
                created_at=now,
                history=[],
                detail=f"{destination.url[:200]} — {error[:300]}",
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "key"])
        )
