"""What admins and the sweeper do with stored events: replay, retry, discard, sweep, list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters import get_adapter
from adapters.base import PayloadError
from connector.db.storage import Storage
from connector.db.tables import WebhookEvent, utcnow
from connector.inbox.receive import decode_json
from connector.queue.connection import enqueue_event, job_in_flight
from connector.queue.drain import drain_flag, drain_in_flight, request_drain
from connector.settle import tracking

SWEEP_MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Replayed:
    """Events queued again, and the chosen ones that weren't, with the reason."""

    queued: list[int]
    refused: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    """Chosen ids that name no event (of the shop): also in ``refused``, with the reason."""


def _replay_refusal(event: WebhookEvent) -> str | None:
    # Ledger entries and pushes have keys, so re-running an order is a no-op; an uninstall or a redaction
    # is not: run again after a reinstall, it would undo the reinstall or erase newer data.
    if event.status != WebhookEvent.PROCESSED or tracking.service_of(event.topic) is not None:
        return None
    try:
        parsed = get_adapter(event.shop.platform).parse(event.topic, decode_json(event.body))
    except PayloadError:
        return None
    if parsed.lifecycle is not None:
        return f"event {event.id} ({event.topic}) was carried out already; running it again could undo later changes"
    return None


def replay(storage: Storage, queue: Queue, shop_id: int | None, event_ids: list[int] | None) -> Replayed:
    """Run events again: the chosen ones (any status but pending), or else every failed one (of a shop).

    Safe for orders already processed: every ledger entry and push has its own key, so a repeat adds
    nothing. Processed uninstalls and privacy requests are refused.
    """
    refused: dict[int, str] = {}
    with storage.session() as session:
        query = select(WebhookEvent).with_for_update()
        if event_ids is not None:
            query = query.where(WebhookEvent.id.in_([i for i in event_ids if 0 < i < 2**62]))
        else:
            query = query.where(WebhookEvent.status == WebhookEvent.FAILED)
        if shop_id is not None:
            query = query.where(WebhookEvent.shop_id == shop_id)
        ids = []
        for event in session.scalars(query.order_by(WebhookEvent.id)):
            reason = (
                f"event {event.id} is already pending"
                if event.status == WebhookEvent.PENDING
                else _replay_refusal(event)
            )
            if reason:
                refused[event.id] = reason
                continue
            event.status = WebhookEvent.PENDING
            event.attempts = 0
            event.error = None
            event.processed_at = None
            ids.append(event.id)
    missing = []
    for event_id in event_ids or []:
        if event_id not in ids and event_id not in refused:
            refused[event_id] = f"no event {event_id}" + (f" in shop {shop_id}" if shop_id is not None else "")
            missing.append(event_id)
    for event_id in ids:
        enqueue_event(queue, event_id, replace=True)
    return Replayed(ids, refused, missing)


def retry_event(storage: Storage, queue: Queue, shop_id: int, event_id: int) -> None:
    """Run one event of a shop again; LookupError if there is no such event, ValueError if it can't be."""
    outcome = replay(storage, queue, shop_id, [event_id])
    if not outcome.queued:
        reason = outcome.refused[event_id]
        raise LookupError(reason) if event_id in outcome.missing else ValueError(reason)


def discard(storage: Storage, shop_id: int, event_id: int) -> None:
    """Give up on a failed event for good; it stays listed with its error. LookupError / ValueError say why not."""
    with storage.session() as session:
        event = session.get(WebhookEvent, event_id, with_for_update=True) if 0 < event_id < 2**62 else None
        if event is None or event.shop_id != shop_id:
            raise LookupError(f"no event {event_id} in shop {shop_id}")
        if event.status != WebhookEvent.FAILED:
            raise ValueError(f"event {event_id} is {event.status}, not failed")
        event.status = WebhookEvent.DISCARDED


def sweep(storage: Storage, queue: Queue, grace_seconds: int, limit: int = 1000) -> int:
    """Hand on every pending event older than ``grace_seconds`` that nothing is working on. Returns how many.

    An event is left pending when Redis was down as it arrived, or when its worker died mid-job.
    Events never tried go to a fresh drain; events tried before get their own job, which RQ retries with
    a backoff. A job still queued, scheduled for a retry or running is left alone; after
    ``SWEEP_MAX_ATTEMPTS`` failed attempts the event waits for an admin instead of looping.
    """
    cutoff = utcnow() - timedelta(seconds=grace_seconds)
    with storage.session() as session:
        rows = session.execute(
            select(WebhookEvent.id, WebhookEvent.attempts)
            .where(
                WebhookEvent.status == WebhookEvent.PENDING,
                WebhookEvent.received_at <= cutoff,
                WebhookEvent.attempts < SWEEP_MAX_ATTEMPTS,
            )
            .order_by(WebhookEvent.id)
            .limit(limit)
        ).all()
    fresh = [row.id for row in rows if row.attempts == 0]
    queued = 0
    if fresh and not drain_in_flight(queue):
        queue.connection.delete(drain_flag(0))  # left by a drain that died: it would hold new ones back
        request_drain(queue)
        queued = len(fresh)
    for row in rows:
        if row.attempts == 0 or job_in_flight(queue, row.id):
            continue
        if enqueue_event(queue, row.id, replace=True):
            queued += 1
    return queued


STATUSES = (
    WebhookEvent.PENDING,
    WebhookEvent.PROCESSED,
    WebhookEvent.IGNORED,
    WebhookEvent.FAILED,
    WebhookEvent.UNMATCHED,
    WebhookEvent.DISCARDED,
)


def _chosen(shop_id: int, status: str | None, topic: str | None = None) -> list[Any]:
    where = [WebhookEvent.shop_id == shop_id]
    if status:
        where.append(WebhookEvent.status == status)
    if topic:
        where.append(WebhookEvent.topic == topic)
    return where


def count_events(session: Session, shop_id: int, status: str | None, topic: str | None = None) -> int:
    """How many events ``recent_events`` could list."""
    return int(
        session.scalar(select(func.count()).select_from(WebhookEvent).where(*_chosen(shop_id, status, topic))) or 0
    )


def event_rows(
    session: Session, shop_id: int, status: str | None, topic: str | None, limit: int, offset: int = 0
) -> list[WebhookEvent]:
    """A shop's events, newest first, by status and topic (``offset`` skips the newest)."""
    query = select(WebhookEvent).where(*_chosen(shop_id, status, topic)).order_by(WebhookEvent.id.desc())
    return list(session.scalars(query.offset(offset).limit(limit)))


def topics(session: Session, shop_id: int) -> list[str]:
    """The topics of the shop's events, sorted."""
    return sorted(
        t for t in session.scalars(select(WebhookEvent.topic).where(WebhookEvent.shop_id == shop_id).distinct()) if t
    )


def counts_since(session: Session, shop_id: int, since: datetime) -> dict[str, int]:
    """The shop's events received since ``since``, counted by status."""
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(WebhookEvent.status, func.count())
            .where(WebhookEvent.shop_id == shop_id, WebhookEvent.received_at >= since)
            .group_by(WebhookEvent.status)
        ).all()
    )


def recent_events(
    session: Session, shop_id: int, status: str | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """A shop's events, newest first (``status`` to filter, ``offset`` skips the newest), as the CLI and
    the admin API list them."""
    return [
        {
            "id": e.id,
            "topic": e.topic,
            "status": e.status,
            "attempts": e.attempts,
            "error": e.error,
            "received_at": e.received_at.isoformat(),
        }
        for e in event_rows(session, shop_id, status, None, limit, offset)
    ]
