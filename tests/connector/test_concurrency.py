"""Duplicates delivered concurrently, processed by two real worker processes: one entry, always."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from redis import Redis
from sqlalchemy import func, select

from connector.storage import Storage
from connector.tables import LedgerEntry, Shop, WebhookEvent
from tests.support import paid_shopify_order, shopify_headers, shopify_refund

SADAKAT = str(Path(sys.executable).parent / "sadakat")


def deliver_concurrently(url: str, shop: Shop, topic: str, payload: dict, delivery_ids: list[str]) -> list[int]:
    body = json.dumps(payload).encode()

    def send(delivery_id: str) -> int:
        headers = shopify_headers(shop, topic, body, delivery_id)
        return requests.post(f"{url}/webhooks/shopify", data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(send, delivery_ids))


def run_two_workers() -> None:
    workers = [subprocess.Popen([SADAKAT, "worker", "--burst"], env=os.environ.copy()) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0


def ledger_rows(storage: Storage) -> list[tuple[str, int]]:
    with storage.session() as session:
        return [(e.key, e.points) for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]


def test_same_delivery_20_times_concurrently_is_one_event_and_one_entry(
    server_url: str, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    statuses = deliver_concurrently(server_url, offline_shopify_shop, "orders/paid", paid_shopify_order(), ["dup"] * 20)
    assert statuses == [200] * 20
    run_two_workers()
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert ledger_rows(storage) == [("order:820982911946154508:earned", 404)]


def test_same_order_under_20_delivery_ids_on_two_workers_is_one_entry(
    server_url: str, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = paid_shopify_order()
    ids = [f"paid-{n}" for n in range(20)]
    assert deliver_concurrently(server_url, offline_shopify_shop, "orders/paid", order, ids) == [200] * 20
    refund = shopify_refund(order, 7001, "89.99")
    refund_ids = [f"refund-{n}" for n in range(20)]
    assert deliver_concurrently(server_url, offline_shopify_shop, "refunds/create", refund, refund_ids) == [200] * 20
    run_two_workers()
    assert sorted(ledger_rows(storage)) == [
        ("order:820982911946154508:earned", 404),
        ("order:820982911946154508:reversed-to:89", -89),
    ]
    with storage.session() as session:
        assert set(session.scalars(select(WebhookEvent.status))) == {"processed"}
