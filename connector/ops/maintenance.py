"""Keeping installed stores connected: webhooks re-registered, and orders missed while they were down
reconciled through the same idempotent inbox path as live webhooks."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters import get_adapter
from connector import inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from connector.outbox import pushes, tokens
from connector.outbox import requests as outbox
from connector.queue.connection import enqueue_event
from connector.settle import door

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True)
class Checked:
    """What one store's check did."""

    shop_id: int
    reconciled: int


HOLD_SECONDS = 0.3
"""How long one transaction of a nightly job may hold the database (SQLite's write lock): each takes as many
members as the last one's pace says fit."""


class Pace:
    """How many members a job's next transaction takes: as many as fit in ``HOLD_SECONDS``, judged by the
    last one (starting at ``first``, never more than ``most``)."""

    def __init__(self, first: int = 100, most: int = 5_000) -> None:
        self.size, self.most = first, most

    def took(self, members: int, seconds: float) -> None:
        """The last transaction handled ``members`` in ``seconds``."""
        if members and seconds > 0:
            self.size = max(10, min(self.most, int(members * HOLD_SECONDS / seconds)))


def check_store(storage: Storage, queue: Queue, config: Config, shop_id: int) -> Checked:
    """Re-register the store's webhooks (re-enabling any the store disabled) and bring in orders changed
    since the last event received from it."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return Checked(shop_id, 0)
        push_id = outbox.request(
            session, shop.id, pushes.REGISTER_WEBHOOKS, f"webhooks:check:{uuid.uuid4().hex}", shop.domain, {}
        )
        last = session.scalar(select(func.max(WebhookEvent.received_at)).where(WebhookEvent.shop_id == shop.id))
        since = (last or shop.created_at) - OVERLAP
        platform = shop.platform
    pushes.dispatch(storage, queue, [(push_id, shop_id)] if push_id else [])
    adapter = get_adapter(platform)
    access = tokens.fresh_access(storage, shop_id, adapter, config)
    reconciled = 0
    for topic, delivery_id, payload in adapter.changed_orders(access, since):
        stored = inbox.store(storage, shop_id, delivery_id, topic, json.dumps(payload).encode(), WebhookEvent.PENDING)
        if stored.duplicate:
            continue
        reconciled += 1
        with contextlib.suppress(RedisError):  # if Redis is down, the sweeper queues it
            enqueue_event(queue, stored.event_id)
    return Checked(shop_id, reconciled)


def installed_shop_ids(storage: Storage) -> list[int]:
    """Every shop that hasn't uninstalled Sadakat."""
    with storage.session() as session:
        return list(session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None)).order_by(Shop.id)))


def recompute_tiers(storage: Storage, queue: Queue) -> int:
    """Let tiers follow spend as it ages out of the 12-month window. Returns how many members moved.

    Set-wise: one read finds the members whose tier no longer matches their spend; only those are
    written, in transactions of ``HOLD_SECONDS`` or so (webhooks never wait long for SQLite's lock)."""
    from connector.db.tables import CustomerRecord
    from connector.programme import programme_of
    from connector.settle import tiers

    moved = 0
    for shop_id in installed_shop_ids(storage):
        with storage.session(read_only=True) as session:
            shop = session.get(Shop, shop_id)
            if shop is None or not programme_of(shop).tiers:
                continue
            candidates = tiers.moves(session, shop)
        pace, start = Pace(), 0
        while start < len(candidates):
            requested: list[tuple[int, int]] = []
            chunk = candidates[start : start + pace.size]
            began = time.monotonic()
            with storage.session() as session, session.no_autoflush:  # one flush, at commit
                shop = session.get(Shop, shop_id)
                assert shop is not None
                locked = {
                    c.id: c
                    for c in session.scalars(
                        select(CustomerRecord)
                        .where(CustomerRecord.id.in_([customer_id for customer_id, _ in chunk]))
                        .order_by(CustomerRecord.id)
                        .with_for_update()
                    )
                }
                # The spend read a moment ago: the nightly move follows ageing, which doesn't change within
                # the run (an order settling meanwhile recomputes its member itself).
                members = [(locked[customer_id], spent) for customer_id, spent in chunk if customer_id in locked]
                outcome = door.settle(
                    session,
                    door.Step(
                        shop, lambda s, shop, m=members: door.Applied(tiers.recompute_many(s, shop, m, "nightly"))
                    ),
                )
                moved += len(outcome.result)
                requested += outcome.pushes
            pace.took(len(chunk), time.monotonic() - began)
            start += len(chunk)
            pushes.dispatch(storage, queue, requested)
            storage.let_writers_in()
    return moved


def daily_gifts(storage: Storage, queue: Queue, today: date | None = None) -> int:
    """Give today's birthday codes (and, in the first days of a month, tier perks) in every installed
    store. Returns how many were asked for."""
    from connector.db.tables import utcnow
    from connector.settle import gifts

    today = today or utcnow().date()
    given = 0
    for shop_id in installed_shop_ids(storage):
        given += _in_chunks(
            storage,
            queue,
            shop_id,
            lambda session, shop: gifts.birthday_members(session, shop, today),
            lambda session, shop, members: gifts.for_birthdays(session, shop, today, members),
        )
        given += _in_chunks(
            storage,
            queue,
            shop_id,
            gifts.perk_members,
            lambda session, shop, members: gifts.monthly_perks(session, shop, today, members),
        )
    return given


def expire_points(
    storage: Storage, queue: Queue, config: Config, today: date | None = None, shop_ids: list[int] | None = None
) -> int:
    """Expire inactive balances and send warnings in every installed store (or those of ``shop_ids``), as of
    ``today``. Returns balances expired; the same day again expires and warns no one twice."""
    from connector.db.tables import utcnow
    from connector.settle import expiry

    day = today or utcnow().date()
    expired_count = 0

    def expire(session: Session, shop: Shop, members: list[int]) -> list[int]:
        nonlocal expired_count
        expired, warnings = expiry.run(session, shop, config, day, members)
        expired_count += len(expired)
        return warnings

    for shop_id in installed_shop_ids(storage):
        if shop_ids is None or shop_id in shop_ids:
            _in_chunks(storage, queue, shop_id, lambda session, shop: expiry.due(session, shop, day), expire)
    return expired_count


def _in_chunks(
    storage: Storage,
    queue: Queue,
    shop_id: int,
    find: Callable[[Session, Shop], list[int]],
    act: Callable[[Session, Shop, list[int]], list[int]],
) -> int:
    """A nightly job for one shop: ``find`` the members it concerns in a read (no lock: on SQLite the scan
    never holds the write lock), then ``act`` on them in transactions of ``HOLD_SECONDS`` or so, each
    chunk's pushes queued once it commits. Returns how many pushes."""
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        members = find(session, shop) if shop is not None else []
    asked, pace, start = 0, Pace(), 0
    while start < len(members):
        chunk = members[start : start + pace.size]
        began = time.monotonic()
        with storage.session() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                return asked
            step = door.Step(shop, lambda s, shop, c=chunk: door.Applied(None, [(p, shop.id) for p in act(s, shop, c)]))
            requested = door.settle(session, step).pushes
        pace.took(len(chunk), time.monotonic() - began)
        start += len(chunk)
        pushes.dispatch(storage, queue, requested)
        asked += len(requested)
        storage.let_writers_in()
    return asked


def release_referral_rewards(storage: Storage, queue: Queue) -> int:
    """Grant held referral rewards whose hold is over, in every installed store. Returns how many."""
    from connector.settle.growth import referrals

    granted = 0
    for shop_id in installed_shop_ids(storage):
        with storage.session() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                continue
            outcome = door.settle(
                session, door.Step(shop, lambda s, shop: door.Applied(referrals.release_held(s, shop)))
            )
        pushes.dispatch(storage, queue, outcome.pushes)
        granted += len(outcome.result)
    return granted
