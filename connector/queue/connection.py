"""The Redis connection and the RQ queue that carries inbox events to workers."""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from redis import Redis
from redis.client import Pipeline
from rq import Queue, RateLimit, Retry, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from connector.config import Config

QUEUE_NAME = "sadakat"
PROCESS_EVENT = "jobs.events.process_event"
DRAIN_EVENTS = "jobs.events.drain_events"
DRAIN_SLOTS = 2
"""Drain jobs that may run at once: a backlog wakes a helper on another worker."""
DRAIN_FLAG_SECONDS = 120
WAKE_MEMO_SECONDS = 0.05
"""A receiver that found a drain on its way this recently (after it committed) doesn't ask Redis again. A
drain that clears its flag waits this long before its last look, so such an event is still taken: it was
committed within this time of a moment the flag was still set, so before that last look began."""
RUN_PUSH = "jobs.pushes.run_push"
PUSH_CONCURRENCY_PER_SHOP = 2
"""At most this many calls to one store at once: a throttled store queues while the others flow."""
EVENT_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])
DRAIN_RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])
IN_FLIGHT = frozenset(
    {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.RATE_LIMITED}
)


def redis_connection(config: Config, *, fail_fast: bool = False) -> Redis:
    """A client for the configured Redis. ``fail_fast`` bounds connect and reply waits for web requests."""
    if fail_fast:
        return Redis.from_url(config.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    return Redis.from_url(config.redis_url, socket_connect_timeout=5, health_check_interval=30)


def event_queue(connection: Redis) -> Queue:
    """The queue inbox events are processed from."""
    return Queue(QUEUE_NAME, connection=connection)


def current_queue(config: Config) -> Queue:
    """The queue, on the running job's Redis connection (or a new one outside a job, e.g. from the CLI)."""
    job = get_current_job()
    return event_queue(job.connection if job else redis_connection(config))


def event_job_id(event_id: int) -> str:
    """One job id per inbox event, so the sweeper can tell whether a job already exists."""
    return f"event-{event_id}"


def enqueue_event(queue: Queue, event_id: int, *, replace: bool = False) -> bool:
    """Queue processing of an inbox event. ``replace`` first drops a finished or failed job of the same id;
    without it, an existing job of that id means nothing is queued. Returns whether a job was queued."""
    if replace:
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(event_job_id(event_id), connection=queue.connection).delete()
    try:
        queue.enqueue(
            PROCESS_EVENT,
            event_id,
            job_id=event_job_id(event_id),
            retry=EVENT_RETRY,
            unique=True,
            result_ttl=600,
            description=f"process inbox event {event_id}",
        )
    except DuplicateJobError:
        return False
    return True


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


_drain_seen_at = -math.inf


def drain_seen_recently() -> bool:
    """Whether this process found a drain on its way less than WAKE_MEMO_SECONDS ago (ask after committing)."""
    return time.monotonic() - _drain_seen_at < WAKE_MEMO_SECONDS


def wake_drain(queue: Queue, *, also: Callable[[Pipeline], object] | None = None) -> None:
    """``request_drain`` for the receiver: remembers, for WAKE_MEMO_SECONDS, that a drain is on its way."""
    global _drain_seen_at
    asked_at = time.monotonic()  # before the SET: the flag was there at least this late
    request_drain(queue, also=also)
    _drain_seen_at = asked_at


def forget_drain_seen() -> None:
    """Forget that a drain was seen (when Redis was emptied under this process, as tests do)."""
    global _drain_seen_at
    _drain_seen_at = -math.inf


def drain_in_flight(queue: Queue, slot: int = 0) -> bool:
    """Whether the drain job the flag names is queued, scheduled or running (else the flag is stale)."""
    job_id = queue.connection.get(drain_flag(slot))
    return job_id is not None and job_in_flight(queue, job_id.decode())


def enqueue_push(queue: Queue, push_id: int, shop_id: int, *, delay: float | None = None) -> str:
    """Queue (or schedule after ``delay`` seconds) the job that runs a push; returns its job id."""
    job_id = f"push-{push_id}-{uuid.uuid4().hex[:8]}"
    options = {
        "job_id": job_id,
        "rate_limit": RateLimit(key=f"shop-{shop_id}", concurrency=PUSH_CONCURRENCY_PER_SHOP),
        "result_ttl": 600,
        "description": f"push {push_id} to shop {shop_id}",
    }
    if delay:
        queue.enqueue_in(timedelta(seconds=delay), RUN_PUSH, push_id, **options)
    else:
        queue.enqueue(RUN_PUSH, push_id, **options)
    return job_id


def job_in_flight(queue: Queue, event_or_job_id: int | str) -> bool:
    """Whether a job (an inbox event's id, or a job id) is queued, scheduled, rate-limited or running."""
    job_id = event_job_id(event_or_job_id) if isinstance(event_or_job_id, int) else event_or_job_id
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in IN_FLIGHT
