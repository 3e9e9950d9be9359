"""The inbox drain: events applied in batches, one transaction each, without giving up exactly-once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from connector import inbox
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Shop, WebhookEvent
from connector.queue import drain as jobqueue
from connector.queue import telemetry
from connector.queue.connection import QUEUE_NAME
from connector.queue.drain import drain_flag
from connector.settle import orders
from jobs import events
from tests.support import drain, post_all_at_once, run_workers, sandbox_order, sandbox_webhook


def post(client: FlaskClient, shop: Shop, order_id: str, subtotal: str) -> None:
    request = sandbox_webhook(shop, sandbox_order(order_id, subtotal, f"c-{order_id}"))
    assert client.post(request.path, data=request.body, headers=request.headers).status_code == 200


def ledger_points(storage: Storage) -> dict[str, int]:
    with storage.session() as session:
        return {e.key: e.points for e in session.scalars(select(LedgerEntry))}


def test_many_webhooks_wake_one_drain_that_takes_them_all(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    for n in range(5):
        post(client, sandbox_shop, f"o{n}", "100.00")
    jobs = Queue(QUEUE_NAME, connection=redis).jobs
    assert [job.func_name for job in jobs] == ["jobs.events.drain_events"]  # one job, not one per webhook
    drain(redis)
    assert ledger_points(storage) == {f"order:o{n}:earned": 100 for n in range(5)}
    assert redis.get(drain_flag(0)) is None  # nothing left to drain: the next webhook wakes a new drain
    post(client, sandbox_shop, "o5", "7.00")
    drain(redis)
    assert ledger_points(storage)["order:o5:earned"] == 7


def test_an_event_that_raises_is_rolled_back_alone_and_retried_on_its_own(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    merge_order = orders.merge_order
    failures = []

    def broken_twice(row: Any, order: Any, customer_id: int | None) -> None:
        merge_order(row, order, customer_id)  # its writes are in the savepoint that rolls back
        if order.id == "o1" and len(failures) < 2:  # with the batch, then alone
            failures.append(order.id)
            raise RuntimeError("a bug met halfway")

    monkeypatch.setattr(orders, "merge_order", broken_twice)
    for n in range(3):
        post(client, sandbox_shop, f"o{n}", "100.00")
    assert events.drain_events() == 3
    assert ledger_points(storage) == {"order:o0:earned": 100, "order:o2:earned": 100}
    with storage.session() as session:
        [broken] = session.scalars(select(WebhookEvent).where(WebhookEvent.status == "pending"))
        assert (broken.status, broken.attempts, broken.error) == ("pending", 1, "RuntimeError: a bug met halfway")
    assert f"event-{broken.id}" in Queue(QUEUE_NAME, connection=redis).job_ids
    drain(redis)
    assert ledger_points(storage) == {f"order:o{n}:earned": 100 for n in range(3)}


def test_after_a_rolled_back_event_the_next_one_for_the_same_order_in_the_batch_counts_once(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle = orders.settle
    failures = []

    def first_try_broken(session: Any, shop: Any, programme: Any, rows: Any, *more: Any) -> Any:
        settled = settle(session, shop, programme, rows, *more)  # creates the order row and its entry...
        if not failures:
            failures.append(rows)
            raise RuntimeError("a bug met after the order row was made")  # ...which the savepoint undoes
        return settled

    monkeypatch.setattr(orders, "settle", first_try_broken)
    order = sandbox_webhook(sandbox_shop, sandbox_order("o1", "100.00", "c-1"), "first")
    again = sandbox_webhook(sandbox_shop, sandbox_order("o1", "100.00", "c-1"), "second")  # a retry, new id
    for request in (order, again):
        assert client.post(request.path, data=request.body, headers=request.headers).status_code == 200
    assert events.drain_events() == 2  # one batch: the second event must not reuse the undone row
    assert ledger_points(storage) == {"order:o1:earned": 100}
    drain(redis)  # the first event, retried on its own, finds the order already earned
    assert ledger_points(storage) == {"order:o1:earned": 100}
    with storage.session() as session:
        assert set(session.scalars(select(WebhookEvent.status))) == {"processed"}


def test_a_backlog_is_shared_by_two_worker_processes_and_each_event_counts_once(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    sends = [sandbox_webhook(sandbox_shop, sandbox_order(f"b{n}", "10.00", f"c-{n % 40}")) for n in range(3 * 200)]
    sends += sends[:100]  # and a hundred repeated deliveries
    assert set(post_all_at_once(server_url, sends, threads=16)) == {200}
    run_workers(2)
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 600
        assert set(session.scalars(select(WebhookEvent.status))) == {"processed"}
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 600
        assert session.scalar(select(func.sum(LedgerEntry.points))) == 6000


def test_the_worker_loads_every_job_module_before_it_forks_work_horses() -> None:
    from pathlib import Path

    import jobs
    from connector.cli.processes import JOB_MODULES

    found = {f"jobs.{path.stem}" for path in Path(jobs.__file__).parent.glob("*.py") if path.stem != "__init__"}
    assert set(JOB_MODULES) == found


def test_while_events_flow_a_drain_waits_a_moment_for_more_instead_of_ending(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    monkeypatch.setattr(events, "LINGER_SECONDS", 2.0)
    monkeypatch.setattr(events, "LINGER_AFTER_CLAIMS", 1)  # as if events had kept coming before
    post(client, sandbox_shop, "o1", "10.00")
    later = sandbox_webhook(sandbox_shop, sandbox_order("o2", "20.00", "c-o2"))
    answers: list[int] = []

    def post_later() -> None:
        time.sleep(0.5)
        answers.append(client.post(later.path, data=later.body, headers=later.headers).status_code)

    poster = threading.Thread(target=post_later)
    poster.start()
    assert events.drain_events() == 2  # the second arrived while the drain waited, and it took it
    poster.join()
    assert answers == [200]
    assert ledger_points(storage) == {"order:o1:earned": 10, "order:o2:earned": 20}
    drains = [job for job in Queue(QUEUE_NAME, connection=redis).jobs if job.func_name == "jobs.events.drain_events"]
    assert len(drains) == 1  # the first webhook's wake-up; none for the second
    assert redis.get(drain_flag(0)) is None


def test_a_webhook_that_found_a_drain_on_its_way_skips_redis_and_that_drain_still_takes_it(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobqueue, "WAKE_MEMO_SECONDS", 30.0)  # the receiver's memory outlasts the steps below
    post(client, sandbox_shop, "o1", "100.00")  # wakes a drain, and this process remembers it
    during_the_wait = []

    def a_webhook_arrives() -> None:
        # The drain has cleared its flag and waits before its last look; a receiver that saw the flag a
        # moment ago stores an event and asks Redis nothing.
        post(client, sandbox_shop, "o2", "5.00")
        during_the_wait.append(redis.get(drain_flag(0)))

    monkeypatch.setattr(events, "wait_for_late_arrivals", a_webhook_arrives)
    drain(redis)
    assert during_the_wait == [None]  # the second webhook woke nothing
    assert ledger_points(storage) == {"order:o1:earned": 100, "order:o2:earned": 5}
    assert Queue(QUEUE_NAME, connection=redis).jobs == []  # the drain on its way took it: no second drain
    counts = telemetry.webhook_counts(redis)
    deadline = time.monotonic() + 5
    while counts.get(("sandbox", "order/updated", "accepted")) != 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # the second count is sent by the process's timer, with no request to carry it
        counts = telemetry.webhook_counts(redis)
    assert counts[("sandbox", "order/updated", "accepted")] == 2


def test_a_drain_waits_the_receivers_memory_out_before_its_last_look(
    client: FlaskClient, sandbox_shop: Shop, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks: list[tuple[float, bool]] = []  # when the drain looked for events, and whether its flag was up
    claim_fresh = inbox.claim_fresh

    def looked(*args: Any) -> list[int]:
        looks.append((time.monotonic(), redis.get(drain_flag(0)) is not None))
        return claim_fresh(*args)

    monkeypatch.setattr(inbox, "claim_fresh", looked)
    post(client, sandbox_shop, "o1", "100.00")
    assert events.drain_events() == 1
    (found_empty, flag_up), (last_look, flag_still_up) = looks[-2:]
    assert (flag_up, flag_still_up) == (True, False)  # the flag was cleared between the two
    assert last_look - found_empty >= jobqueue.WAKE_MEMO_SECONDS
    post(client, sandbox_shop, "o2", "5.00")  # later than the receiver's memory: this one wakes a drain again
    assert redis.get(drain_flag(0)) is not None
