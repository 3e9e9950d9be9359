"""The soak: orders at a steady rate (with repeated deliveries, retries under new ids and refunds) while
the worker is restarted again and again, every other time with SIGKILL. At the end every member's balance,
and what the store shows, equals what an independent count of the orders says, to the point.

CI runs it for a minute (a restart every 15 s); `make soak` runs it for 10 minutes (a restart a minute).
SADAKAT_SOAK_SECONDS and SADAKAT_SOAK_RESTART_SECONDS set both; SADAKAT_SOAK_RATE the orders per second.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from redis import Redis
from sqlalchemy import func, select

from adapters.sandbox.records import sandbox_calls
from connector import inbox
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Push, Shop, WebhookEvent
from connector.outbox import pushes
from connector.queue.connection import event_queue
from connector.settle import ledger
from tests.support import SADAKAT, an_hour_later, run_workers, sandbox_order, sandbox_webhook

SECONDS = float(os.environ.get("SADAKAT_SOAK_SECONDS", "60"))
RESTART_EVERY = float(os.environ.get("SADAKAT_SOAK_RESTART_SECONDS", "15"))
RATE = float(os.environ.get("SADAKAT_SOAK_RATE", "10"))
MEMBERS = [f"m-{n}" for n in range(30)]


@dataclass
class Expected:
    """An independent count, in whole cents, of what each member should hold (earn rate 1 per 1.00)."""

    balances: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def paid(self, member: str, cents: int) -> None:
        self.balances[member] = self.balances.get(member, 0) + cents // 100

    def refunded(self, member: str, cents: int, refund_cents: int) -> None:
        earned = cents // 100
        self.balances[member] -= earned * refund_cents // cents


def traffic(url: str, shop: Shop, until: float, expected: Expected, rng: random.Random) -> None:
    """Orders at RATE a second until ``until``; a webhook the receiver didn't take is sent again, as
    the platforms do, until it is taken."""

    def send(payload: dict, delivery: str) -> None:
        request = sandbox_webhook(shop, payload, delivery)
        while True:
            expected.sent += 1
            try:
                answer = requests.post(url + request.path, data=request.body, headers=request.headers, timeout=10)
                if answer.status_code == 200:
                    return
                reason = f"{answer.status_code} {answer.text[:80]}"
            except requests.RequestException as exc:
                reason = type(exc).__name__
            expected.refused[reason] = expected.refused.get(reason, 0) + 1
            time.sleep(0.5)

    n = 0
    while time.monotonic() < until:
        started = time.monotonic()
        n += 1
        member = rng.choice(MEMBERS)
        cents = rng.randint(1000, 90000)
        order = sandbox_order(f"soak-{n}", f"{cents // 100}.{cents % 100:02d}", member)
        send(order, f"paid-{n}")
        expected.paid(member, cents)
        roll = rng.random()
        if roll < 0.1:
            send(order, f"paid-{n}")  # the same delivery again
        elif roll < 0.2:
            send(order, f"paid-{n}-retry")  # a retry under a new delivery id
        if rng.random() < 0.1:
            refund = cents // 2
            send(order | {"refunds": [{"id": f"r-{n}", "amount": f"{refund // 100}.{refund % 100:02d}"}]}, f"r-{n}")
            expected.refunded(member, cents, refund)
        time.sleep(max(0.0, 1 / RATE - (time.monotonic() - started)))


def horse_pids(worker_pid: int) -> list[int]:
    """RQ's work horses: the worker's forked children (each in its own session)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == worker_pid:
            children.append(int(stat.parent.name))
    return children


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen([SADAKAT, "worker"], env=os.environ.copy(), start_new_session=True)


def stop_worker(worker: subprocess.Popen[bytes], kill: bool) -> None:
    if kill:
        for horse in horse_pids(worker.pid):
            os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
    else:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: the job in hand is finished first
    worker.wait(timeout=120)


def test_soak_with_a_worker_restarted_every_few_seconds_ends_with_exact_balances(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis, tmp_path: Path
) -> None:
    expected = Expected()
    until = time.monotonic() + SECONDS
    load = threading.Thread(target=traffic, args=(server_url, sandbox_shop, until, expected, random.Random(7)))
    scheduler = subprocess.Popen([SADAKAT, "scheduler"], env=os.environ.copy(), stderr=subprocess.DEVNULL)
    worker = start_worker()
    load.start()
    restarts = kills = 0
    while load.is_alive():
        load.join(timeout=RESTART_EVERY)
        if load.is_alive():
            kill = restarts % 2 == 1
            stop_worker(worker, kill)
            restarts, kills = restarts + 1, kills + kill
            worker = start_worker()
    stop_worker(worker, kill=False)
    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=60)

    # What a deployment does by itself, without the wait: RQ gives up on the killed horses' jobs, the
    # sweeper queues what they left pending, and a worker runs it.
    for _ in range(3):
        an_hour_later(redis)
        inbox.sweep(storage, event_queue(redis), grace_seconds=0)
        pushes.sweep(storage, event_queue(redis), grace_seconds=0)
        run_workers(1, timeout=600)

    with storage.session() as session:
        members = {m.platform_id: m for m in session.scalars(select(CustomerRecord))}
        for member in members.values():
            assert member.points == ledger.balance(session, member.id), member.key
        events = dict(session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all())
        push_states = dict(session.execute(select(Push.status, func.count()).group_by(Push.status)).all())
        shown: dict[str, int] = {}
        for call in session.scalars(
            select(sandbox_calls.c.body).where(sandbox_calls.c.kind == "customer_sync").order_by(sandbox_calls.c.id)
        ):
            shown[call["customer_id"]] = call["points"]
    wanted = expected.balances
    summary = {
        "seconds": SECONDS,
        "requests": expected.sent,
        "not_taken_and_resent": expected.refused,
        "restarts": restarts,
        "of_which_sigkill": kills,
        "events": events,
        "pushes": push_states,
        "balances_exact": {m.platform_id: m.points for m in members.values()} == wanted,
        "store_shows_exact": shown == wanted,
    }
    (tmp_path / "soak.json").write_text(json.dumps(summary, indent=2))
    print("soak:", json.dumps(summary))
    if out := os.environ.get("SADAKAT_SOAK_REPORT"):
        Path(out).write_text(json.dumps(summary, indent=2) + "\n")
    assert restarts >= 2 and kills >= 1
    assert set(events) == {"processed"}
    assert set(push_states) == {"done"}
    assert {m.platform_id: m.points for m in members.values()} == wanted
    assert shown == wanted
