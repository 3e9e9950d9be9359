"""RQ jobs for inbox events: the drain that applies them in batches, and the per-event job for retries."""

from __future__ import annotations

import contextlib
import logging
import time

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.exc import DataError

from connector import faults, inbox
from connector.config import Config
from connector.db.storage import storage_for
from connector.outbox import pushes
from connector.queue.connection import current_queue, enqueue_event
from connector.queue.drain import DRAIN_SLOTS, WAKE_MEMO_SECONDS, drain_flag, request_drain
from connector.queue.telemetry import timed

log = logging.getLogger(__name__)


@timed
def process_event(event_id: int) -> str:
    """Apply one inbox event to the ledger. Idempotent; a retryable failure re-raises for RQ's retry."""
    config = Config.from_env()
    storage = storage_for(config)
    try:
        processed = inbox.process(storage, event_id)
    except DataError as exc:
        # The database refused a value in the payload: retrying would fail the same way.
        inbox.fail(storage, event_id, f"the payload holds a value the database can't store: {exc.orig}")
        return "failed"
    except Exception as exc:
        try:
            inbox.record_error(storage, event_id, f"{type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not record the failure of event %s", event_id)
        raise
    faults.point("event.after_commit")
    if processed.pushes:
        pushes.dispatch(storage, current_queue(config), processed.pushes)
    return processed.status


BATCH_SIZE = 200
DRAIN_SECONDS = 20.0
LINGER_SECONDS = 0.3
"""While events are flowing, how long a drain that finds the inbox empty waits for more before it ends:
each drain is a job, and a job costs RQ a work horse (tens of ms of CPU), so a steady stream is better
served by one drain than by a new one every few events."""
GATHER_SECONDS = 0.1
"""While events are flowing, how long a drain lets them gather after a batch that wasn't full: a batch
costs about the same for 2 events as for 20."""
LINGER_AFTER_CLAIMS = 3
"""Events are flowing when they kept arriving while the drain worked: it has found some this many times."""


@timed
def drain_events(slot: int = 0) -> int:
    """Apply pending events in batches of BATCH_SIZE, one transaction each, until none are left; returns
    how many were taken. A full batch means a backlog: a helper drain is woken on another worker. An
    event that raises is handed to its own job, which RQ retries with a backoff."""
    config = Config.from_env()
    queue = current_queue(config)
    try:
        return _drain(config, queue, slot)
    except BaseException:
        # Whatever stopped this drain (the database gone, say), the next arrival must be able to wake one.
        with contextlib.suppress(RedisError):
            queue.connection.delete(drain_flag(slot))
        raise


def _drain(config: Config, queue: Queue, slot: int) -> int:
    storage = storage_for(config)
    taken = 0
    deadline = time.monotonic() + DRAIN_SECONDS
    flag_cleared = False
    idle_since: float | None = None
    claims = 0
    while True:
        claimed = inbox.claim_fresh(storage, BATCH_SIZE)
        if not claimed:
            if flag_cleared:
                return taken
            idle_since = idle_since or time.monotonic()
            if claims >= LINGER_AFTER_CLAIMS and time.monotonic() - idle_since < LINGER_SECONDS:
                time.sleep(GATHER_SECONDS)
                continue
            # Looks drained: clear the flag first, then look once more, so that an event stored just
            # now either is seen here or wakes a new drain. The wait covers receivers that saw the flag
            # a moment ago and so didn't ask (connector/queue/drain.py WAKE_MEMO_SECONDS).
            queue.connection.delete(drain_flag(slot))
            flag_cleared = True
            wait_for_late_arrivals()
            continue
        idle_since = None
        claims += 1
        batch = inbox.process_batch(storage, claimed)
        faults.point("event.after_commit")
        taken += len(claimed)
        for event_id, reason in batch.unstorable.items():
            inbox.fail(storage, event_id, reason)
        for event_id, error in batch.errors.items():
            inbox.record_error(storage, event_id, error, count_attempt=False)
            log.warning("event %s failed in a drain (%s); retrying it on its own", event_id, error)
            enqueue_event(queue, event_id, replace=True)
        if batch.pushes:
            pushes.dispatch(storage, queue, batch.pushes)
        if len(claimed) == BATCH_SIZE and slot + 1 < DRAIN_SLOTS:
            request_drain(queue, slot + 1)
        elif claims >= LINGER_AFTER_CLAIMS:
            time.sleep(GATHER_SECONDS)
        if time.monotonic() > deadline:
            # Let other jobs (pushes) have the worker too; a continuation picks up from here.
            queue.connection.delete(drain_flag(slot))
            request_drain(queue, slot)
            return taken


def wait_for_late_arrivals() -> None:
    """After clearing the flag: long enough that every event a receiver stored without waking us is in."""
    time.sleep(WAKE_MEMO_SECONDS)
