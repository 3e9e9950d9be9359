"""The outbox: calls owed to stores, recorded in the same transaction as their cause, run exactly once.

A push moves pending → running → done, or failed with the store's message. A retryable store error
sends it back to pending with a delay; a permanent one, or too many attempts, fails it for admins to
see. Only one worker holds a push at a time (a claim), and a claim left by a dead worker goes stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from adapters.base import ShopAccess
from connector.db.storage import Storage, upsert_insert
from connector.db.tables import Push, Shop, utcnow

MAX_ATTEMPTS = 8
THROTTLED_FOR_AT_MOST = timedelta(days=1)
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 900


@dataclass(frozen=True)
class Claimed:
    """A push this worker now holds, with what it needs to call the store."""

    id: int
    kind: str
    payload: dict[str, Any]
    generation: int
    attempts: int
    platform: str
    shop: ShopAccess


def shop_access(shop: Shop, allow_private: bool = False) -> ShopAccess:
    """The adapter's view of a shop: where it is and its API credentials."""
    return ShopAccess(
        allow_private=allow_private,
        shop_id=shop.id,
        domain=shop.domain,
        base_url=shop.base_url,
        credentials=dict(shop.credentials),
    )


def _new_push(shop_id: int, kind: str, key: str, target: str, payload: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {
        "shop_id": shop_id,
        "kind": kind,
        "key": key,
        "target": target,
        "payload": payload,
        "status": Push.PENDING,
        "generation": 1,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def request(session: Session, shop_id: int, kind: str, key: str, target: str, payload: dict[str, Any]) -> int | None:
    """Record a push unless the shop already has one with ``key``. Returns its id, or None for a repeat."""
    stmt = (
        upsert_insert(session, Push)
        .values(**_new_push(shop_id, kind, key, target, payload))
        .on_conflict_do_nothing(index_elements=["shop_id", "key"])
        .returning(Push.id)
    )
    return session.execute(stmt).scalar()


def request_many(session: Session, shop_id: int, kind: str, pushes: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """``request`` for many pushes of one kind, (key, target, payload) each, in one statement per 500.
    Returns the ids of those recorded now (not the repeats)."""
    ids: list[int] = []
    for start in range(0, len(pushes), 500):
        rows = [_new_push(shop_id, kind, key, target, payload) for key, target, payload in pushes[start : start + 500]]
        stmt = upsert_insert(session, Push).values(rows).on_conflict_do_nothing(index_elements=["shop_id", "key"])
        ids += session.scalars(stmt.returning(Push.id)).all()
    return ids


def request_refresh(
    session: Session, shop_id: int, kind: str, key: str, target: str, payload: dict[str, Any]
) -> int | None:
    """Record a push that carries the latest state (a customer sync): a repeat bumps its generation and makes
    it pending again, so a run that started before the change doesn't mark it done. Returns the push id to
    queue, or None when it was still waiting for its job anyway (that run will carry the latest state)."""
    waiting = session.scalar(
        select(Push.id)
        .where(Push.shop_id == shop_id, Push.key == key, Push.status == Push.PENDING, Push.job_id.is_not(None))
        .with_for_update()
    )
    if waiting is not None:
        session.execute(
            update(Push)
            .where(Push.id == waiting)
            .values(generation=Push.generation + 1, attempts=0, payload=payload, updated_at=utcnow())
        )
        return None
    table = Push.__table__
    stmt = upsert_insert(session, Push).values(**_new_push(shop_id, kind, key, target, payload))
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "key"],
        set_={
            "generation": table.c.generation + 1,
            "status": Push.PENDING,
            "attempts": 0,
            "last_error": None,
            "payload": stmt.excluded.payload,
            "updated_at": utcnow(),
        },
    ).returning(Push.id)
    return int(session.execute(stmt).scalar_one())


def claim(storage: Storage, push_id: int) -> Claimed | None:
    """Take a pending push (or one whose claim went stale). None if it's done, failed or held elsewhere."""
    now = utcnow()
    with storage.session() as session:
        push = session.get(Push, push_id, with_for_update=True)
        if push is None or push.status not in (Push.PENDING, Push.RUNNING):
            return None
        if push.status == Push.RUNNING and push.claimed_at and push.claimed_at > now - STALE_CLAIM:
            return None
        shop = session.get(Shop, push.shop_id)
        assert shop is not None
        if shop.uninstalled_at is not None:
            push.status = Push.CANCELLED
            push.last_error = "the store uninstalled Sadakat"
            return None
        push.status = Push.RUNNING
        push.claimed_at = now
        push.attempts += 1
        return Claimed(
            id=push.id,
            kind=push.kind,
            payload=dict(push.payload),
            generation=push.generation,
            attempts=push.attempts,
            platform=shop.platform,
            shop=shop_access(shop),
        )


FollowUp = Callable[[Session], list[int]]
"""What follows from a push's outcome (e.g. delivering a code), written in the same transaction."""


def complete(
    storage: Storage, claimed: Claimed, store_object_id: str | None, then: FollowUp | None = None
) -> tuple[bool, list[int]]:
    """Mark done, unless a newer generation was requested meanwhile (then it stays pending), and in the same
    transaction request what follows from it. Returns (done?, the follow-up push ids)."""
    with storage.session() as session:
        done = session.execute(
            update(Push)
            .where(Push.id == claimed.id, Push.generation == claimed.generation, Push.status == Push.RUNNING)
            .values(status=Push.DONE, store_object_id=store_object_id, last_error=None, done_at=utcnow())
            .returning(Push.id)
        ).first()
        if not done:
            session.execute(
                update(Push).where(Push.id == claimed.id, Push.status == Push.RUNNING).values(status=Push.PENDING)
            )
            return False, []
        return True, then(session) if then else []


def complete_many(storage: Storage, delivered: list[tuple[Claimed, str | None]]) -> None:
    """``complete`` for many pushes at once, in one transaction, with nothing to follow from them."""
    if not delivered:
        return
    table = Push.__table__
    now = utcnow()
    with storage.session() as session:
        rows = [{"push": c.id, "b_generation": c.generation, "object": done} for c, done in delivered]
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("push"), table.c.generation == bindparam("b_generation"))
            .where(table.c.status == Push.RUNNING)
            .values(status=Push.DONE, store_object_id=bindparam("object"), last_error=None, done_at=now),
            rows,
        )
        session.execute(  # a newer generation was asked for meanwhile ("send again"): it goes again
            update(Push)
            .where(Push.id.in_([c.id for c, _ in delivered]), Push.status == Push.RUNNING)
            .values(status=Push.PENDING)
        )


def fail(storage: Storage, claimed: Claimed, error: str, then: FollowUp | None = None) -> list[int]:
    """Give up on a push: the store refused it. The message is kept for admins; what has to be undone
    (``then``) is written in the same transaction. Returns the pushes that asked for, to queue."""
    with storage.session() as session:
        session.execute(update(Push).where(Push.id == claimed.id).values(status=Push.FAILED, last_error=error[:2000]))
        return then(session) if then else []


def retry_later(
    storage: Storage,
    claimed: Claimed,
    error: str,
    wait_seconds: float,
    then: FollowUp | None = None,
    *,
    throttled: bool = False,
    schedule: float | None = None,
) -> float | None:
    """Put a push back to pending after a retryable error. Returns the delay, or None once it has failed for
    good after MAX_ATTEMPTS (``then`` runs with that failure).

    When the store only throttled us, the attempt isn't counted (it waits as long as the store asks), for
    pushes less than THROTTLED_FOR_AT_MOST old: a store that never stops throttling still ends in failure.
    ``schedule``, where the kind has one, is the wait its schedule sets for this attempt.
    """
    if throttled:
        with storage.session() as session:
            waited = session.execute(
                update(Push)
                .where(Push.id == claimed.id, Push.created_at > utcnow() - THROTTLED_FOR_AT_MOST)
                .values(status=Push.PENDING, attempts=Push.attempts - 1, last_error=error[:2000])
                .returning(Push.id)
            ).first()
        if waited:
            return max(wait_seconds, 2.0)
    if claimed.attempts >= MAX_ATTEMPTS:
        fail(storage, claimed, f"gave up after {claimed.attempts} attempts: {error}", then)
        return None
    backoff = schedule if schedule is not None else min(2.0**claimed.attempts, MAX_BACKOFF_SECONDS)
    delay = max(wait_seconds, backoff)
    with storage.session() as session:
        session.execute(update(Push).where(Push.id == claimed.id).values(status=Push.PENDING, last_error=error[:2000]))
    return delay


def set_jobs(storage: Storage, jobs: list[tuple[int, str]]) -> None:
    """Remember the jobs that will run the pushes, (push id, job id) each, so the sweeper can tell whether
    they are still on their way: one statement in one transaction."""
    if not jobs:
        return
    table = Push.__table__
    with storage.session() as session:
        session.execute(
            update(table).where(table.c.id == bindparam("push")).values(job_id=bindparam("job")),
            [{"push": push_id, "job": job_id} for push_id, job_id in jobs],
        )


def stranded(storage: Storage, grace_seconds: int, limit: int = 1000) -> list[tuple[int, int, str | None]]:
    """(push id, shop id, last job id) of pushes pending past the grace period, or held by a stale claim."""
    now = utcnow()
    with storage.session() as session:
        rows = session.execute(
            select(Push.id, Push.shop_id, Push.job_id, Push.status, Push.claimed_at)
            .where(
                Push.status.in_((Push.PENDING, Push.RUNNING)), Push.updated_at <= now - timedelta(seconds=grace_seconds)
            )
            .order_by(Push.id)
            .limit(limit)
        ).all()
    return [
        (row.id, row.shop_id, row.job_id)
        for row in rows
        if row.status == Push.PENDING or (row.claimed_at is not None and row.claimed_at <= now - STALE_CLAIM)
    ]
