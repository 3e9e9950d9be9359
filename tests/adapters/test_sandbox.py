"""The sandbox store: simulated traffic through the real receiver, and what Sadakat asks of it."""

from __future__ import annotations

import json
import subprocess
import time
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from pytest import MonkeyPatch
from redis import Redis
from sqlalchemy import func, select

from adapters import get_adapter
from adapters.base import PermanentStoreError
from adapters.sandbox import SandboxAdapter, SandboxUnbound
from adapters.sandbox.records import sandbox_calls
from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Push, Shop, WebhookEvent
from connector.model import DiscountCode
from connector.ops import backfill
from connector.ops.merchants import destinations
from connector.outbox.requests import shop_access
from connector.settle import ledger
from tests.support import SADAKAT, an_hour_later, drain, sandbox_order


class SandboxRecordsView:
    """What the sandbox store keeps of its store credit accounts (its own records)."""

    @staticmethod
    def bodies(shop_id: int) -> list[dict[str, Any]]:
        return get_adapter("sandbox").store_credit.records.bodies(shop_id, "store_credit")  # type: ignore[attr-defined]


sandbox = get_adapter("sandbox")


def test_sandbox_order_reads_into_the_model() -> None:
    event = sandbox.parse(
        "order/updated",
        {
            "id": "7-1",
            "number": "1001",
            "currency": "try",
            "status": "paid",
            "subtotal": "120.50",
            "total": "150.40",
            "customer": {"id": "c1", "email": "Member1@Example.com"},
            "refunds": [{"id": "r1", "amount": "20.00"}],
        },
    )
    assert event.order is not None
    assert (event.order.id, event.order.currency, event.order.merchandise_amount) == ("7-1", "TRY", Decimal("120.50"))
    assert event.order.customer.key == "c1" and event.order.customer.email == "member1@example.com"
    assert event.refunds[0].merchandise_amount == Decimal("20.00")


def test_a_sandbox_store_given_no_database_says_so_and_keeps_nothing(sandbox_shop: Shop) -> None:
    unbound = SandboxAdapter()
    code = DiscountCode(code="SDK-NOWHERE", kind="percentage", value=Decimal(10), title="gift", customer_id="c1")
    with pytest.raises(SandboxUnbound, match="has no database"):
        unbound.create_discount_code(shop_access(sandbox_shop), code)
    assert sandbox.find_discount_code(shop_access(sandbox_shop), "SDK-NOWHERE") is None


def test_codes_are_recorded_and_a_second_identical_code_is_refused(sandbox_shop: Shop) -> None:
    shop = shop_access(sandbox_shop)
    code = DiscountCode(code="SDK-TEST", kind="percentage", value=Decimal(10), title="gift", customer_id="c1")
    store_id = sandbox.create_discount_code(shop, code)
    assert sandbox.find_discount_code(shop, "SDK-TEST") == store_id
    assert sandbox.find_discount_code(shop, "SDK-OTHER") is None
    with pytest.raises(PermanentStoreError, match="already exists"):
        sandbox.create_discount_code(shop, code)


def test_simulated_shop_earns_points_and_gets_syncs_and_tracking(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--shop",
            str(sandbox_shop.id),
            "--orders",
            "60",
            "--seed",
            "7",
            "--url",
            server_url,
            "--wait",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # Carrier news sent before the worker had its shipment is answered 202 ("unmatched" so far); once
    # drained, every event (those included) is processed, below.
    carrier_news = sum(n for what, n in report["sent"].items() if what.startswith("carrier "))
    assert set(report["answers"]) <= {"200", "202"}
    assert sum(report["answers"].values()) == sum(report["sent"].values())
    assert report["answers"].get("202", 0) <= carrier_news
    assert report["sent"]["order"] == 60
    drain(redis)
    drain(redis)  # pushes the events asked for
    with storage.session() as session:
        assert set(session.scalars(select(WebhookEvent.status))) == {"processed"}
        members = session.scalars(select(CustomerRecord)).all()
        assert members and sum(m.points for m in members) > 0
        for member in members:
            assert member.points == ledger.balance(session, member.id) >= 0
        kinds = dict(session.execute(select(sandbox_calls.c.kind, func.count()).group_by(sandbox_calls.c.kind)).all())
        assert kinds["customer_sync"] > 0 and kinds["tracking"] > 0
        assert set(session.scalars(select(Push.status))) == {"done"}
        entry_kinds = set(session.scalars(select(LedgerEntry.kind)))
        for order in session.scalars(select(OrderRecord).where(OrderRecord.cancelled)):
            net = session.scalar(select(func.sum(LedgerEntry.points)).where(LedgerEntry.source_id == order.order_id))
            assert (net or 0) == 0, order.order_id
    assert {"order", "refund"} <= entry_kinds


def test_simulate_refuses_a_real_store(shopify_shop: Shop) -> None:
    result = CliRunner().invoke(main, ["simulate", "--shop", str(shopify_shop.id)])
    assert result.exit_code == 1
    assert "simulate drives sandbox stores" in result.output


def test_the_sandbox_answers_backfill_with_the_orders_it_sent(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    sent = CliRunner().invoke(
        main, ["simulate", "--shop", str(sandbox_shop.id), "--orders", "15", "--url", server_url, "--wait", "0"]
    )
    assert sent.exit_code == 0, sent.output
    found = CliRunner().invoke(main, ["backfill", str(sandbox_shop.id), "--since", "2000-01-01", "--dry-run"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output.strip().splitlines()[-1])["orders"] == 15


def test_a_backfill_settles_in_chunks_what_the_webhooks_would_have(
    sandbox_shop: Shop, storage: Storage, monkeypatch: MonkeyPatch
) -> None:
    records = get_adapter("sandbox").records  # type: ignore[attr-defined]
    for n in range(7):  # orders the store holds that no webhook brought: 10.00, 20.00, ... 70.00
        records.keep_order(sandbox_shop.id, sandbox_order(f"past-{n}", f"{10 * (n + 1)}.00", customer=f"c-{n % 3}"))
    assert [o["id"] for o in records.pages(sandbox_shop.id, "order", size=2)] == [f"past-{n}" for n in range(7)]
    monkeypatch.setattr(backfill, "CHUNK", 3)  # three chunks: 3 + 3 + 1

    def run() -> dict:
        result = CliRunner().invoke(main, ["backfill", str(sandbox_shop.id), "--since", "2000-01-01"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output.strip().splitlines()[-1])

    first = run()
    assert (first["orders"], first["events"], first["failed"], first["points"]) == (7, 7, 0, 280)
    with storage.session() as session:
        balances = dict(session.execute(select(CustomerRecord.key, CustomerRecord.points)).all())
    assert balances == {"c-0": 10 + 40 + 70, "c-1": 20 + 50, "c-2": 30 + 60}
    again = run()
    assert (again["events"], again["already_known"], again["points"]) == (0, 7, 0)


def test_the_sandbox_store_keeps_store_credit_accounts_and_simulate_shows_cashback(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis
) -> None:
    from connector.ops.shops import change_settings
    from connector.ops.supervisor import DEMO_PROGRAMME

    gold = [{"name": "Gold", "min_spend": "0", "cashback_percent": "2"}]  # every member Gold after a first order
    change_settings(storage, sandbox_shop.id, DEMO_PROGRAMME | {"currency": "TRY", "tiers": gold})
    args = ["simulate", "--shop", str(sandbox_shop.id), "--orders", "80", "--seed", "7", "--url", server_url]
    result = CliRunner().invoke(main, [*args, "--wait", "0", "--json"])
    assert result.exit_code == 0, result.output
    for _ in range(3):  # a debit waits for the credit it takes back: its retry comes round later
        drain(redis)
        an_hour_later(redis)
    drain(redis)
    with storage.session() as session:
        credits = [b for b in SandboxRecordsView.bodies(sandbox_shop.id) if Decimal(b["amount"]) > 0]
        debits = [b for b in SandboxRecordsView.bodies(sandbox_shop.id) if Decimal(b["amount"]) < 0]
        assert credits, "Gold members' orders are credited 2 % cashback in the sandbox's accounts"
        assert set(session.scalars(select(Push.status).where(Push.kind.like("store_credit%")))) == {"done"}
    again = CliRunner().invoke(main, [*args[:-2], "--url", server_url, "--wait", "0"])
    assert "Store credit given as cashback:" in again.output
    assert all(Decimal(b["amount"]) != 0 for b in credits + debits)


def test_simulate_catches_the_shops_signed_webhooks_and_prints_them(
    server_url: str, sandbox_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES", "1")  # the workers may call this machine
    command = [SADAKAT, "simulate", "--shop", str(sandbox_shop.id), "--orders", "3", "--seed", "5", "--url", server_url]
    running = subprocess.Popen([*command, "--wait", "20", "--catch-webhooks"], stdout=subprocess.PIPE, text=True)
    while running.poll() is None:
        drain(redis)  # this test's worker
        time.sleep(0.1)
    output = running.stdout.read() if running.stdout else ""
    assert running.returncode == 0, output
    caught = [line for line in output.splitlines() if line.startswith("webhook msg_")]
    assert caught and all(line.endswith("(signature verified)") for line in caught), output
    assert any("points.earned for " in line and "points" in line for line in caught), output
    assert "signed webhook deliveries received" in output
    assert destinations.webhooks(storage, sandbox_shop.id) == []  # unsubscribed again
