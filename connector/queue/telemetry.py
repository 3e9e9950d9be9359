"""Counters every process shares through Redis: webhooks received by outcome, and how long jobs take.

Kept in Redis rather than in each process so that /metrics on any web worker, on any host, reports
the whole deployment. Recording never fails the request or job it measures.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import Counter
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
REQUESTS_KEY = "sadakat:metrics:requests"
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
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


LATER_SECONDS = 0.05
"""How long a webhook counted for later may wait in its process before it is sent to Redis."""


class LaterCounts:
    """Webhooks and requests counted with no round trip of their own: they go with this process's next one
    that does go to Redis (``put_into``), or are sent by a timer within LATER_SECONDS. Held by the app (one
    per process)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._redis: Redis | None = None
        _all_later_counts.add(self)

    def add(self, redis: Redis, platform: str, topic: str, outcome: str) -> None:
        """One more webhook of ``platform``/``topic`` answered with ``outcome``, to be sent later."""
        with self._lock:
            self._counts[(WEBHOOKS_KEY, SEPARATOR.join((platform, topic, outcome)))] += 1
            self._later(redis)

    def add_request(self, redis: Redis, area: str, status: int, seconds: float) -> None:
        """One more HTTP request to ``area`` (a blueprint) answered with ``status`` after ``seconds``: a
        counter by status class and a cumulative histogram of durations, to be sent later."""
        with self._lock:
            self._counts[(REQUESTS_KEY, SEPARATOR.join(("count", area, f"{status // 100}xx")))] += 1
            for bound in REQUEST_BUCKETS:
                if seconds <= bound:
                    self._counts[(REQUESTS_KEY, SEPARATOR.join(("bucket", area, str(bound))))] += 1
            self._counts[(REQUESTS_KEY, SEPARATOR.join(("bucket", area, "+Inf")))] += 1
            self._counts[(REQUESTS_KEY, SEPARATOR.join(("sum", area, "")))] += seconds
            self._later(redis)

    def _later(self, redis: Redis) -> None:
        self._redis = redis
        if self._timer is None:
            self._timer = threading.Timer(LATER_SECONDS, self.send)
            self._timer.daemon = True
            self._timer.start()

    def put_into(self, pipe: Pipeline) -> None:
        """Put the counts kept for later into ``pipe``: from here on, sending them is the pipe's job."""
        with self._lock:
            for (key, field), count in self._counts.items():
                if isinstance(count, float):
                    pipe.hincrbyfloat(key, field, count)
                else:
                    pipe.hincrby(key, field, count)
            self._counts.clear()

    def send(self) -> None:
        """Send the counts kept for later now (the timer's job; /metrics and exit call it too)."""
        with self._lock:
            self._timer = None  # a count added from here on starts a timer of its own
            redis = self._redis
        if redis is None:
            return
        try:
            with redis.pipeline(transaction=False) as pipe:
                self.put_into(pipe)
                if len(pipe):
                    pipe.execute()
        except RedisError as exc:
            log.debug("webhooks not counted: %s", exc)

    def _forget_in_child(self) -> None:
        # A forked child has no timer thread, and its parent's counts are the parent's to send.
        self._lock, self._timer = threading.Lock(), None
        self._counts.clear()


_all_later_counts: weakref.WeakSet[LaterCounts] = weakref.WeakSet()


def _send_all_at_exit() -> None:
    for counts in list(_all_later_counts):
        counts.send()


def _forget_all_in_child() -> None:
    for counts in list(_all_later_counts):
        counts._forget_in_child()


os.register_at_fork(after_in_child=_forget_all_in_child)
atexit.register(_send_all_at_exit)


def webhook_counts(redis: Redis) -> dict[tuple[str, str, str], int]:
    """Every (platform, topic, outcome) counted so far."""
    return {
        tuple(field.decode().split(SEPARATOR, 2)): int(value)  # type: ignore[misc]
        for field, value in redis.hgetall(WEBHOOKS_KEY).items()
    }


def request_metrics(
    redis: Redis,
) -> tuple[dict[tuple[str, str], int], dict[str, tuple[dict[str, int], float]]]:
    """Requests so far: counts by (area, status class), and per area its cumulative histogram (counts by
    bucket bound, sum of seconds)."""
    counts: dict[tuple[str, str], int] = {}
    histograms: dict[str, tuple[dict[str, int], float]] = {}
    for raw, value in redis.hgetall(REQUESTS_KEY).items():
        kind, area, rest = raw.decode().split(SEPARATOR, 2)
        buckets, total = histograms.get(area, ({}, 0.0))
        if kind == "count":
            counts[(area, rest)] = int(value)
        elif kind == "sum":
            histograms[area] = (buckets, float(value))
        else:
            buckets[rest] = int(value)
            histograms[area] = (buckets, total)
    return counts, histograms


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
