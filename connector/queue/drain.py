"""The drain-wake protocol: how a receiver that just stored an event makes sure a drain job will take it.

A receiver sets a flag with SET NX and queues a drain job only if it set it (``request_drain``); under
load that is one round trip and no enqueue. A receiver that saw the flag less than WAKE_MEMO_SECONDS ago
asks nothing (``DrainMemo``). A drain that clears its flag
waits WAKE_MEMO_SECONDS before its last look (``jobs/events.py``), so an event stored meanwhile is still
taken; the flag expires after DRAIN_FLAG_SECONDS, and the sweeper clears a stale one
(``drain_in_flight``).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable

from redis.client import Pipeline
from rq import Queue, Retry

from connector.queue.connection import job_in_flight

DRAIN_EVENTS = "jobs.events.drain_events"
DRAIN_SLOTS = 2
"""Drain jobs that may run at once: a backlog wakes a helper on another worker."""
DRAIN_FLAG_SECONDS = 120
WAKE_MEMO_SECONDS = 0.05
"""A receiver that found a drain on its way this recently (after it committed) doesn't ask Redis again. A
drain that clears its flag waits this long before its last look, so such an event is still taken: it was
committed within this time of a moment the flag was still set, so before that last look began."""
DRAIN_RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])


def drain_flag(slot: int) -> str:
    """The Redis key that says a drain job for ``slot`` is on its way."""
    return f"sadakat:drain:{slot}"


def request_drain(queue: Queue, slot: int = 0, *, also: Callable[[Pipeline], object] | None = None) -> bool:
    """Make sure a job that drains the inbox is on its way; returns whether one was queued.

    When one already is (the common case under load) this costs a single SET NX, not an enqueue: that is
    what lets the receiver keep up. The flag expires, so a drain lost with a dead worker doesn't block
    new ones for long; the sweeper clears it too. ``also`` adds commands to the same round trip.
    """
    job_id = f"drain-{slot}-{uuid.uuid4().hex[:8]}"
    pipe = queue.connection.pipeline(transaction=False)
    pipe.set(drain_flag(slot), job_id, nx=True, ex=DRAIN_FLAG_SECONDS)
    if also is not None:
        also(pipe)
    if not pipe.execute()[0]:
        return False
    queue.enqueue(
        DRAIN_EVENTS,
        slot,
        job_id=job_id,
        retry=DRAIN_RETRY,
        result_ttl=60,
        description="drain the inbox",
    )
    return True


class DrainMemo:
    """One receiver process's memory of the drain flag: when it last found a drain on its way.

    Held by the app (one per process), so a new app, like a process started afresh, remembers nothing."""

    def __init__(self) -> None:
        self._seen_at = -math.inf

    def seen_recently(self) -> bool:
        """Whether a drain was found on its way less than WAKE_MEMO_SECONDS ago (ask after committing)."""
        return time.monotonic() - self._seen_at < WAKE_MEMO_SECONDS

    def wake(self, queue: Queue, *, also: Callable[[Pipeline], object] | None = None) -> None:
        """``request_drain`` for the receiver: remembers, for WAKE_MEMO_SECONDS, that a drain is on its way."""
        asked_at = time.monotonic()  # before the SET: the flag was there at least this late
        request_drain(queue, also=also)
        self._seen_at = asked_at


def drain_in_flight(queue: Queue, slot: int = 0) -> bool:
    """Whether the drain job the flag names is queued, scheduled or running (else the flag is stale)."""
    job_id = queue.connection.get(drain_flag(slot))
    return job_id is not None and job_in_flight(queue, job_id.decode())
