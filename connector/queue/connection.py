"""The Redis connection and the RQ queue that carries inbox events to workers."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from redis import Redis
from rq import Queue, RateLimit, Retry, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from connector.config import Config

QUEUE_NAME = "sadakat"
PROCESS_EVENT = "jobs.events.process_event"
RUN_PUSH = "jobs.outgoing.run_push"
SIGN_IN = "jobs.sign_in.send_link"
RUN_IMPORT = "jobs.imports.run_import"
PUSH_CONCURRENCY_PER_SHOP = 2
"""At most this many calls to one store at once: a throttled store queues while the others flow."""
EVENT_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])
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


def enqueue_sign_in(queue: Queue, shop_id: int, email: str) -> None:
    """Queue the job that e-mails a sign-in link if ``email`` is a member's: queued for every address the
    page accepts, so a member's request and a stranger's do the same work before the answer."""
    queue.enqueue(SIGN_IN, shop_id, email, result_ttl=0, failure_ttl=3600, description=f"sign-in link, shop {shop_id}")


IMPORT_JOB_TIMEOUT = 6 * 3600
"""An import of a million rows takes minutes; its job may run this long."""


def enqueue_import(queue: Queue, run_id: int) -> None:
    """Queue the job that runs an import uploaded in the admin (or its dry run)."""
    queue.enqueue(RUN_IMPORT, run_id, job_id=f"import-{run_id}", job_timeout=IMPORT_JOB_TIMEOUT, result_ttl=600,
                  failure_ttl=7 * 86400, description=f"import {run_id}")  # fmt: skip


def job_in_flight(queue: Queue, event_or_job_id: int | str) -> bool:
    """Whether a job (an inbox event's id, or a job id) is queued, scheduled, rate-limited or running."""
    job_id = event_job_id(event_or_job_id) if isinstance(event_or_job_id, int) else event_or_job_id
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in IN_FLIGHT
