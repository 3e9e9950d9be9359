"""Counters every process shares through Redis: webhooks received by outcome, and how long jobs take.

Kept in Redis rather than in each process so that /metrics on any web worker, on any host, reports
the whole deployment. Recording never fails the request or job it measures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import get_current_job

log = logging.getLogger(__name__)

WEBHOOKS_KEY = "sadakat:metrics:webhooks"
JOBS_KEY = "sadakat:metrics:jobs"
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SEPARATOR = "\t"

P = ParamSpec("P")
R = TypeVar("R")


def count_webhook(redis: Redis, platform: str, topic: str, outcome: str) -> None:
    """One more webhook of ``platform``/``topic`` answered with ``outcome``."""
    try:
        add_webhook(redis, platform, topic, outcome)
    except RedisError as exc:
        log.debug("webhook not counted: %s", exc)


def add_webhook(redis: Redis | Pipeline, platform: str, topic: str, outcome: str) -> None:
    """The command that counts a webhook, for a client or a pipeline (errors are the caller's)."""
    redis.hincrby(WEBHOOKS_KEY, SEPARATOR.join((platform, topic, outcome)), 1)


def webhook_counts(redis: Redis) -> dict[tuple[str, str, str], int]:
    """Every (platform, topic, outcome) counted so far."""
    return {
        tuple(field.decode().split(SEPARATOR, 2)): int(value)  # type: ignore[misc]
        for field, value in redis.hgetall(WEBHOOKS_KEY).items()
    }


def observe_job(redis: Redis, name: str, seconds: float) -> None:
    """Record one run of job ``name`` that took ``seconds`` (a Prometheus-style cumulative histogram)."""
    with redis.pipeline(transaction=False) as pipe:
        for bound in JOB_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(JOBS_KEY, f"{name}{SEPARATOR}{bound}", 1)
        pipe.hincrby(JOBS_KEY, f"{name}{SEPARATOR}+Inf", 1)
        pipe.hincrbyfloat(JOBS_KEY, f"{name}{SEPARATOR}sum", seconds)
        pipe.execute()


def job_histograms(redis: Redis) -> dict[str, tuple[dict[str, int], float]]:
    """Per job name: cumulative counts by bucket bound (``"0.01"``, ..., ``"+Inf"``) and the sum of seconds."""
    found: dict[str, tuple[dict[str, int], float]] = {}
    for field, value in redis.hgetall(JOBS_KEY).items():
        name, _, bound = field.decode().partition(SEPARATOR)
        buckets, total = found.get(name, ({}, 0.0))
        if bound == "sum":
            found[name] = (buckets, float(value))
        else:
            buckets[bound] = int(value)
            found[name] = (buckets, total)
    return found


def timed(func: Callable[P, R]) -> Callable[P, R]:
    """Record how long each run of an RQ job function takes (on the job's own Redis connection)."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            job = get_current_job()
            if job is not None:
                try:
                    observe_job(job.connection, func.__name__, time.perf_counter() - start)
                except RedisError as exc:
                    log.debug("job duration not recorded: %s", exc)

    return run
