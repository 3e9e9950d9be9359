"""``/metrics`` in Prometheus' text format: webhooks by outcome, requests by area (duration, status class),
job durations, queue depths, pushes.

Read at scrape time from Redis (shared counters, RQ's registries) and the database, so any web worker
on any host answers for the whole deployment. Needs the admin bearer token or an admin session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from connector.ops import status
from connector.queue import telemetry
from connector.web.admin.auth import require_admin
from connector.web.runtime import Runtime, runtime

bp = Blueprint("prometheus", __name__)
bp.before_request(require_admin)


class SadakatCollector(Collector):
    """Everything /metrics reports, gathered when scraped."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        redis = self.rt.redis
        webhooks = CounterMetricFamily(
            "sadakat_webhooks_received",
            "Webhooks answered, by platform, topic and outcome.",
            labels=["platform", "topic", "outcome"],
        )
        self.rt.later_counts.send()  # this process's own, which would otherwise go within LATER_SECONDS
        for (platform, topic, outcome), value in sorted(telemetry.webhook_counts(redis).items()):
            webhooks.add_metric([platform, topic, outcome], value)
        yield webhooks

        counts, histograms = telemetry.request_metrics(redis)
        answered = CounterMetricFamily(
            "sadakat_http_requests",
            "HTTP requests answered, by area (admin pages, webhooks, rewards pages, ...) and status class.",
            labels=["area", "status"],
        )
        for (area, status_class), value in sorted(counts.items()):
            answered.add_metric([area, status_class], value)
        yield answered
        took = HistogramMetricFamily(
            "sadakat_http_request_duration_seconds", "How long HTTP requests take to answer, by area.", labels=["area"]
        )
        for area, (buckets, total) in sorted(histograms.items()):
            bounds = [str(b) for b in telemetry.REQUEST_BUCKETS] + ["+Inf"]
            took.add_metric([area], [(b, buckets.get(b, 0)) for b in bounds], total)
        yield took

        durations = HistogramMetricFamily(
            "sadakat_job_duration_seconds", "How long RQ jobs take, by job.", labels=["job"]
        )
        for name, (buckets, total) in sorted(telemetry.job_histograms(redis).items()):
            bounds = [str(b) for b in telemetry.JOB_BUCKETS] + ["+Inf"]
            durations.add_metric([name], [(b, buckets.get(b, 0)) for b in bounds], total)
        yield durations

        queue = status.queue_status(redis)
        depth = GaugeMetricFamily("sadakat_queue_jobs", "Jobs in the queue and its registries.", labels=["state"])
        for state, value in (
            ("queued", queue.queued),
            ("started", queue.started),
            ("failed", queue.failed_jobs),
            ("scheduled", queue.scheduled),
        ):
            depth.add_metric([state], value)
        yield depth
        now = datetime.now(UTC)
        processes = GaugeMetricFamily(
            "sadakat_processes_alive", "Workers and schedulers seen in the last minute.", labels=["role"]
        )
        processes.add_metric(["worker"], len(queue.alive(queue.workers, now)))
        processes.add_metric(["scheduler"], len(queue.alive(queue.schedulers, now)))
        yield processes

        stored = status.stored_counts(self.rt.storage)
        pushes = GaugeMetricFamily(
            "sadakat_pushes", "Pushes to stores, by kind and outcome.", labels=["kind", "status"]
        )
        for kind, push_status, count in stored.pushes:
            pushes.add_metric([kind, push_status], count)
        yield pushes
        events = GaugeMetricFamily("sadakat_inbox_events", "Stored webhook events, by status.", labels=["status"])
        for event_status, count in stored.events:
            events.add_metric([event_status], count)
        yield events
        shops = GaugeMetricFamily("sadakat_shops", "Registered shops, by platform.", labels=["platform"])
        for platform, count in stored.shops:
            shops.add_metric([platform], count)
        yield shops


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus exposition."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SadakatCollector(runtime()))
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4; charset=utf-8")


def register_request_timing(app: Flask) -> None:
    """Time every request and count it by area and status class, for /metrics (no round trip of its own:
    the counts go with this process's next one to Redis, or within LATER_SECONDS)."""

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            rt = runtime()
            rt.later_counts.add_request(
                rt.redis, request.blueprint or "other", response.status_code, time.perf_counter() - started
            )
        return response
