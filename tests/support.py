"""Helpers the tests share: real sample payloads, signing, posting webhooks, running jobs."""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.cron import CronScheduler
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from adapters import get_adapter
from adapters.sandbox import SimulatedRequest
from adapters.sandbox.traffic import Traffic
from connector.db.tables import Shop
from connector.queue.connection import QUEUE_NAME

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHOPIFY_SCHEMA = FIXTURES / "shopify" / "admin-2026-01.graphql"
ADMIN_TOKEN = "test-admin-token"
ADMIN_PASSWORD = "correct horse battery staple"
SHOPIFY_SECRET = "shopify-webhook-secret"
WOO_SECRET = "woo-webhook-secret"
SANDBOX_SECRET = "sandbox-secret"
SADAKAT = str(Path(sys.executable).parent / "sadakat")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SHOPIFY_THROTTLED = {  # Shopify's documented answer (HTTP 200) when the query cost bucket is empty
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 10,
            "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 0, "restoreRate": 100.0},
        }
    },
}


def fixture(name: str) -> dict[str, Any]:
    """A real sample payload from tests/fixtures (e.g. ``shopify/orders_create.json``)."""
    return json.loads((FIXTURES / name).read_text())


def sign(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 both platforms sign webhooks with."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(shop: Shop, topic: str, body: bytes, delivery_id: str | None = None) -> dict[str, str]:
    """Headers Shopify sends with a webhook, signed with the test secret."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Hmac-Sha256": sign(body, SHOPIFY_SECRET),
        "X-Shopify-Webhook-Id": delivery_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-01",
    }


def woo_headers(topic: str, body: bytes, delivery_id: str | None = None) -> dict[str, str]:
    """Headers WooCommerce sends with a webhook, signed with the test secret."""
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://woo.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, WOO_SECRET),
        "X-WC-Webhook-ID": "31",
        "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
    }


def paid_shopify_order(**changes: Any) -> dict[str, Any]:
    """Shopify's sample order (a voided, cancelled test order) turned into a paid, open one."""
    order = copy.deepcopy(fixture("shopify/orders_create.json"))
    order.update(financial_status="paid", cancelled_at=None, cancel_reason=None)
    order.update(changes)
    return order


def shopify_refund(order: dict[str, Any], refund_id: int, amount: str) -> dict[str, Any]:
    """A refunds/create body (the shape of Shopify's webhook reference) refunding ``amount`` of goods."""
    money = {"amount": amount, "currency_code": "USD"}
    line = order["line_items"][0]
    return {
        "id": refund_id,
        "order_id": order["id"],
        "created_at": "2022-01-02T10:00:00-05:00",
        "note": "returned",
        "restock": False,
        "refund_line_items": [
            {
                "id": refund_id + 1,
                "line_item_id": line["id"],
                "quantity": 1,
                "subtotal": amount,
                "subtotal_set": {"shop_money": money, "presentment_money": money},
                "total_tax": "0.00",
                "total_tax_set": {
                    "shop_money": {"amount": "0.00", "currency_code": "USD"},
                    "presentment_money": {"amount": "0.00", "currency_code": "USD"},
                },
            }
        ],
        "transactions": [{"id": refund_id + 2, "kind": "refund", "status": "success", "amount": amount}],
        "order_adjustments": [],
    }


def post_shopify(
    client: FlaskClient, shop: Shop, topic: str, payload: dict[str, Any], delivery_id: str | None = None
) -> Any:
    """POST a signed Shopify webhook to the receiver."""
    body = json.dumps(payload).encode()
    return client.post("/webhooks/shopify", data=body, headers=shopify_headers(shop, topic, body, delivery_id))


def post_woo(
    client: FlaskClient, shop: Shop, topic: str, payload: dict[str, Any], delivery_id: str | None = None
) -> Any:
    """POST a signed WooCommerce webhook to the shop's receiver URL."""
    body = json.dumps(payload).encode()
    return client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers=woo_headers(topic, body, delivery_id))


def sandbox_order(order_id: str, subtotal: str, customer: str | None = "c-7", **changes: Any) -> dict[str, Any]:
    """A paid order as the sandbox store sends it (``customer`` None for a guest)."""
    buyer = {"id": customer, "email": f"{customer or 'guest'}@example.com", "first_name": "Ayşe", "last_name": "Y"}
    return {
        "id": order_id,
        "number": order_id,
        "currency": "TRY",
        "status": "paid",
        "customer": buyer,
        "subtotal": subtotal,
        "total": subtotal,
        "refunds": [],
        "created_at": "2026-11-01T10:00:00+00:00",
    } | changes


def sandbox_webhook(shop: Shop, payload: dict[str, Any], delivery_id: str | None = None) -> SimulatedRequest:
    """A signed order webhook from the sandbox store."""
    sandbox = get_adapter("sandbox")
    traffic = Traffic(sandbox.records, sandbox.webhook_path(shop.id))  # type: ignore[attr-defined]
    return traffic.webhook(shop.id, SANDBOX_SECRET, "order/updated", payload, "order", delivery_id)


def post_all_at_once(url: str, sends: list[SimulatedRequest], threads: int = 50) -> list[int]:
    """POST every request over real HTTP from ``threads`` threads at once; the status codes, in order."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    barrier = threading.Barrier(min(threads, len(sends)))

    def send(request: SimulatedRequest) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):  # fewer left than threads: go anyway
            barrier.wait(timeout=10)
        return requests.post(url + request.path, data=request.body, headers=request.headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(send, sends))


def run_workers(count: int, timeout: float = 120) -> None:
    """Run ``count`` real worker processes (``sadakat worker --burst``) until the queue is empty."""
    workers = [subprocess.Popen([SADAKAT, "worker", "--burst"], env=os.environ.copy()) for _ in range(count)]
    for worker in workers:
        assert worker.wait(timeout=timeout) == 0


def form_csrf(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def login(client: FlaskClient, password: str = ADMIN_PASSWORD) -> Any:
    """Log in to the admin pages as a browser would (the form's CSRF token included); returns the answer."""
    token = form_csrf(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"password": password, "csrf_token": token, "next": "/admin/"})


def drain(redis: Redis) -> None:
    """Run every queued job in this process, as a worker would, until the queue is empty."""
    SimpleWorker([QUEUE_NAME], connection=redis).work(burst=True)


def an_hour_later(redis: Redis) -> None:
    """What RQ itself does once a dead worker's jobs have expired, without waiting for it: abandoned jobs
    are retried (or failed), and the retries that have fallen due are queued."""
    queue = Queue(QUEUE_NAME, connection=redis)
    later = time.time() + 3600
    StartedJobRegistry(queue=queue).cleanup(timestamp=later)
    scheduled = ScheduledJobRegistry(queue=queue)
    for job_id in scheduled.get_jobs_to_schedule(int(later)):
        scheduled.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=redis))


@contextmanager
def worker_and_scheduler_registered(redis: Redis) -> Iterator[Worker]:
    """A worker and a cron scheduler registered in Redis with a fresh heartbeat, as running ones are."""
    worker = Worker([QUEUE_NAME], connection=redis)
    worker.register_birth()
    worker.heartbeat()
    scheduler = CronScheduler(connection=redis)
    scheduler.register_birth()
    scheduler.heartbeat()
    try:
        yield worker
    finally:
        worker.register_death()
        scheduler.register_death()


def customer_json(client: FlaskClient, shop: Shop, ident: str) -> Any:
    """The admin API's view of a customer."""
    response = client.get(f"/admin/api/shops/{shop.id}/customers/{ident}", headers=AUTH)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def proxy_query(
    shop: Shop, customer: str = "115310627314723954", secret: str = SHOPIFY_SECRET, **changes: str
) -> dict[str, str]:
    """An app proxy query as Shopify forwards it, signed by Shopify's documented rule (sorted key=value
    pairs, concatenated, hex HMAC-SHA256)."""
    import time

    params = {
        "shop": shop.domain,
        "logged_in_customer_id": customer,
        "path_prefix": "/apps/sadakat",
        "timestamp": str(int(time.time())),
    } | changes
    message = "".join(f"{k}={v}" for k, v in sorted(params.items()))
    return params | {"signature": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


class MailInbox:
    """What a local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"
