"""The Redis connection and the RQ queue that carries inbox events to workers."""

from __future__ import annotations

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from connector.config import Config

QUEUE_NAME = "sadakat"
PROCESS_EVENT = "jobs.events.process_event"
EVENT_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


def redis_connection(config: Config, *, fail_fast: bool = False) -> Redis:
    """A client for the configured Redis. ``fail_fast`` bounds connect and reply waits for web requests."""
    if fail_fast:
        return Redis.from_url(config.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    return Redis.from_url(config.redis_url, socket_connect_timeout=5, health_check_interval=30)


def event_queue(connection: Redis) -> Queue:
    """The queue inbox events are processed from."""
    return Queue(QUEUE_NAME, connection=connection)


def event_job_id(event_id: int) -> str:
    """One job id per inbox event, so the sweeper can tell whether a job already exists."""
    return f"event-{event_id}"


def enqueue_event(queue: Queue, event_id: int, *, unique: bool = False) -> bool:
    """Queue processing of an inbox event. With ``unique``, skip it if its job already exists."""
    try:
        queue.enqueue(
            PROCESS_EVENT,
            event_id,
            job_id=event_job_id(event_id),
            retry=EVENT_RETRY,
            unique=unique,
            result_ttl=600,
            description=f"process inbox event {event_id}",
        )
    except DuplicateJobError:
        return False
    return True
