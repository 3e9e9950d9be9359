"""A worker killed with SIGKILL in the middle of a job, before and after its ledger commit: the job runs
again, and the ledger and the outbox end exactly as if nothing had happened."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from adapters.sandbox.records import sandbox_calls
from connector import inbox
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Push, Shop, WebhookEvent
from connector.outbox import pushes
from connector.queue.connection import event_queue
from tests.support import SADAKAT, an_hour_later, sandbox_order, sandbox_webhook

ORDER = sandbox_order("1001", "250.00", total="279.90")


def post_order(client: FlaskClient, shop: Shop) -> None:
    request = sandbox_webhook(shop, ORDER, "delivery-1")
    assert client.post(request.path, data=request.body, headers=request.headers).status_code == 200


def worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([SADAKAT, "worker", "--burst"], env=env, start_new_session=True)


def kill_at(point: str, tmp_path: Path) -> None:
    """Start a worker that freezes at ``point``; SIGKILL it (worker and work horse) once it is there."""
    frozen = tmp_path / "frozen"
    env = os.environ | {"SADAKAT_FREEZE_AT": point, "SADAKAT_FREEZE_FILE": str(frozen)}
    process = worker(env)
    deadline = time.monotonic() + 60
    while not frozen.exists():
        assert process.poll() is None, "the worker ended before reaching the fail point"
        assert time.monotonic() < deadline, f"the worker never reached {point}"
        time.sleep(0.05)
    horse = int(frozen.read_text())  # RQ runs each job in a forked "work horse" with its own session
    os.kill(horse, signal.SIGKILL)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def recover(storage: Storage, redis: Redis) -> None:
    """What a deployment does by itself afterwards: RQ notices the abandoned job, the sweeper finds
    what was never queued, and a new worker runs it all."""
    an_hour_later(redis)
    inbox.sweep(storage, event_queue(redis), grace_seconds=0)
    pushes.sweep(storage, event_queue(redis), grace_seconds=0)
    process = worker(dict(os.environ))
    assert process.wait(timeout=120) == 0


def state(storage: Storage) -> dict[str, object]:
    with storage.session() as session:
        syncs = session.scalars(select(sandbox_calls.c.body).where(sandbox_calls.c.kind == "customer_sync")).all()
        return {
            "ledger": [
                (e.kind, e.points, e.key) for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
            ],
            "event": session.scalars(select(WebhookEvent.status)).one(),
            "pushes": [(p.kind, p.status) for p in session.scalars(select(Push).order_by(Push.id))],
            "store_shows": syncs[-1]["points"] if syncs else None,
        }


EXPECTED = {
    "ledger": [("order", 250, "order:1001:earned")],
    "event": "processed",
    "pushes": [("customer_sync", "done")],
    "store_shows": 250,
}


def test_killed_before_the_ledger_commit_the_event_runs_again_once(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, tmp_path: Path
) -> None:
    post_order(client, sandbox_shop)
    kill_at("event.before_commit", tmp_path)
    with storage.session() as session:
        assert session.scalars(select(LedgerEntry)).all() == []  # rolled back with the dead connection
        assert session.scalars(select(WebhookEvent.status)).one() == "pending"
    recover(storage, redis)
    assert state(storage) == EXPECTED


def test_killed_after_the_ledger_commit_nothing_is_doubled_and_the_push_still_goes(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, tmp_path: Path
) -> None:
    post_order(client, sandbox_shop)
    kill_at("event.after_commit", tmp_path)
    with storage.session() as session:
        assert [(e.points, e.key) for e in session.scalars(select(LedgerEntry))] == [(250, "order:1001:earned")]
        assert [(p.kind, p.status) for p in session.scalars(select(Push))] == [("customer_sync", "pending")]
    recover(storage, redis)
    assert state(storage) == EXPECTED
