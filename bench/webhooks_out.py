"""`make bench-webhooks`: the merchant's webhook endpoint is down while 10,000 events happen, then comes back.

Starts gunicorn and two RQ workers (the Procfile's) on the configured services, subscribes an endpoint on
this machine (a threaded HTTP server in a process of its own at the lowest CPU priority, as it would be on
another machine, that answers 503 while "down" and 204 once "up"),
then: the receiver's ack p99 at a steady 200 webhooks/s with nothing owed (the baseline); N distinct orders
(10 per customer) settled while the endpoint is down, each delivery tried and failing; the endpoint comes
back and the retries fall due at once (as if their wait had passed), while the same steady load measures
the ack p99 again. Reports how long until every event arrived, whether each arrived once (by webhook-id),
and whether each customer's events arrived in order (their balances only grow). QUICK=1: 2,000 events.
Writes bench/results/webhooks-<database>[-quick].json. Uses DATABASE_URL / REDIS_URL when set.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    BIN,
    QUICK,
    RESULTS,
    SECONDS,
    Stack,
    gunicorn,
    order,
    request_file,
    sign,
    wait_for_workers,
    wrk,
    wrk_list,
)

EVENTS = 2_000 if QUICK else 10_000
CUSTOMERS = 1000  # bench.run.order: customer n % 1000, so ten orders each at 10,000
STEADY = {"connections": 20, "delay_ms": 96}  # 20 connections, each about one request per 100 ms: ~200/s
DELIVERY_TIMEOUT = 900


class Endpoint:
    """The merchant's endpoint: down (503) or up (204), keeping what it got while up. In life it is on another
    machine: here it runs in a process of its own at the lowest CPU priority, so that what receiving costs is
    not taken from the receiver being measured on the same two cores."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._up, self._refused = context.Value("b", 0), context.Value("i", 0)
        self._received: Any = context.Queue()
        ready: Any = context.Queue()
        self._process = context.Process(target=_serve, args=(self._up, self._refused, self._received, ready),
                                        daemon=True)  # fmt: skip
        self._process.start()
        self.url = f"http://127.0.0.1:{ready.get(timeout=30)}/hooks"
        self._got: list[tuple[str, dict[str, Any]]] = []

    @property
    def up(self) -> bool:
        return bool(self._up.value)

    @up.setter
    def up(self, value: bool) -> None:
        self._up.value = 1 if value else 0

    @property
    def refused(self) -> int:
        return int(self._refused.value)

    @property
    def got(self) -> list[tuple[str, dict[str, Any]]]:
        while True:
            try:
                self._got.append(self._received.get(timeout=0.05))
            except queue.Empty:
                return self._got

    def distinct(self) -> int:
        return len({message_id for message_id, _ in self.got})

    def stop(self) -> None:
        self._process.kill()


def _serve(up: Any, refused: Any, received: Any, ready: Any) -> None:
    os.nice(19)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if up.value:
                received.put((self.headers["webhook-id"], json.loads(body)))
            else:
                with refused.get_lock():
                    refused.value += 1
            self.send_response(204 if up.value else 503)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(server.server_address[1])
    server.serve_forever()


def retries_fall_due(stack: Stack) -> int:
    """Queue every scheduled retry now, as if its wait had passed. Returns how many."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from connector.queue.connection import QUEUE_NAME, redis_connection

    redis = redis_connection(stack.config)
    queue = Queue(QUEUE_NAME, connection=redis)
    registry = ScheduledJobRegistry(queue=queue)
    moved = 0
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=redis))
        moved += 1
    return moved


def in_order(got: list[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
    """(customers whose events arrived in order, customers whose did not): a member's balance only grows
    from one points.earned to the next, so it must grow in the order they arrived (repeats left out)."""
    seen: set[str] = set()
    balances: dict[str, list[int]] = {}
    for message_id, event in got:
        if message_id in seen or event["type"] != "points.earned":
            continue
        seen.add(message_id)
        balances.setdefault(event["data"]["customer"]["id"], []).append(event["data"]["balance"])
    good = sum(1 for series in balances.values() if series == sorted(series))
    return good, len(balances) - good


def pending_deliveries(stack: Stack) -> tuple[int, int]:
    """(event deliveries not done yet, of which tried and failed at least once)."""
    from sqlalchemy import func, select

    from connector.db.tables import Push

    with stack.storage.session(read_only=True) as session:
        waiting = session.scalar(
            select(func.count()).where(Push.kind == "event_delivery", Push.status.in_(("pending", "running")))
        )
        failing = session.scalar(
            select(func.count()).where(
                Push.kind == "event_delivery", Push.last_error.is_not(None), Push.status == "pending"
            )
        )
    return int(waiting or 0), int(failing or 0)


def main() -> None:
    from connector.db.merchants import ProgrammeEvent
    from connector.db.tables import WebhookEvent
    from connector.ops.merchants import destinations

    os.environ["SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES"] = "1"  # the endpoint is on this machine
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-webhooks-"))
    stack = Stack(work)
    results: dict[str, Any] = {"database": stack.config.database_url.split(":", 1)[0].split("+")[0], "events": EVENTS}
    endpoint = Endpoint()
    destinations.add_webhook(stack.storage, stack.shop.id, endpoint.url, ["points.earned"], "bench", allow_private=True)
    one = work / "one.tsv"
    body = json.dumps(order(0), separators=(",", ":"))
    one.write_text(f"{sign(body.encode())}\t{body}\n")
    orders = work / "orders.tsv"
    request_file(orders, EVENTS)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with gunicorn("wsgi:app", stack.env, work / "web.log") as (port, _web):
            url = f"http://127.0.0.1:{port}/webhooks/shopify"
            workers = [subprocess.Popen([str(BIN / "sadakat"), "worker"], env=stack.env, stderr=subprocess.DEVNULL)
                       for _ in range(2)]  # fmt: skip
            wait_for_workers(stack, 2)
            wrk(url, "same", one, 2)  # warm up (the same order: nothing new happens, nothing is owed)
            baseline = wrk(url, "same", one, SECONDS, **STEADY)

            started = time.monotonic()
            sending = wrk_list(url, orders)
            while stack.count(ProgrammeEvent) < EVENTS:
                time.sleep(0.5)
            sending.terminate()
            sending.wait()
            while True:  # every delivery tried at least once (the first of each customer's fails; the rest wait)
                waiting, failing = pending_deliveries(stack)
                if failing >= min(CUSTOMERS, EVENTS):
                    break
                time.sleep(0.5)
            results["queued_while_down_seconds"] = round(time.monotonic() - started, 1)
            results["refused_while_down"] = endpoint.refused
            results["owed_when_back"] = waiting

            endpoint.up = True
            started = time.monotonic()
            results["retries_made_due"] = retries_fall_due(stack)
            during: dict[str, Any] = {}
            measuring = threading.Thread(target=lambda: during.update(wrk(url, "same", one, SECONDS, **STEADY)))
            measuring.start()
            while endpoint.distinct() < EVENTS and time.monotonic() - started < DELIVERY_TIMEOUT:
                time.sleep(0.2)
            delivered_in = time.monotonic() - started
            measuring.join()
            time.sleep(1)  # the last deliveries' records reach this process
            stored = stack.count(WebhookEvent)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        stack.stop()
        endpoint.stop()
    good, out_of_order = in_order(endpoint.got)
    results.update(
        baseline_rps=round(baseline["rps"]),
        baseline_ack_p99_ms=baseline["p99_ms"],
        during_rps=round(during["rps"]),
        during_ack_p99_ms=during["p99_ms"],
        ack_p99_ratio=round(during["p99_ms"] / baseline["p99_ms"], 2),
        delivered=endpoint.distinct(),
        received=len(endpoint.got),
        duplicates=len(endpoint.got) - endpoint.distinct(),
        delivered_seconds=round(delivered_in, 1),
        deliveries_per_second=round(endpoint.distinct() / delivered_in, 1),
        customers_in_order=good,
        customers_out_of_order=out_of_order,
        webhooks_stored=stored,
    )
    name = f"webhooks-{results['database']}{'-quick' if QUICK else ''}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
