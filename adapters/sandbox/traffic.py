"""The sandbox store's traffic: the webhooks and carrier news a busy little shop would send, signed as it
signs them. Each order it sends is kept in its records, so its order listing (backfill) finds it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.sandbox.records import SandboxRecords

ORDER_TOPIC = "order/updated"
SHIPMENT_TOPIC = "shipment/updated"
SIMULATED_DAYS = 180


@dataclass(frozen=True)
class SimulatedRequest:
    """One HTTP request the sandbox store would send: to our receiver, or to the carrier endpoint."""

    path: str
    headers: dict[str, str]
    body: bytes
    what: str


class Traffic:
    """Requests from one sandbox store, to the receiver at ``webhook_path``."""

    def __init__(self, records: SandboxRecords, webhook_path: str) -> None:
        self.records = records
        self.webhook_path = webhook_path

    def requests(
        self, shop_id: int, webhook_secret: str, carrier_secret: str, orders: int, seed: int
    ) -> Iterator[SimulatedRequest]:
        """Requests a busy little shop would send: orders (some paid later, refunded or cancelled),
        parcels with carrier news (some delayed), and the odd repeated delivery."""
        rng = random.Random(seed)
        customers = [
            {"id": f"c{n}", "email": f"member{n}@example.com", "first_name": f"Üye {n}", "last_name": "Demo"}
            for n in range(1, max(2, orders // 3) + 1)
        ]
        # Spread over the past six months, the last a few days ago (so its parcel has arrived): charts,
        # tiers, segments and expiry then have a history to show.
        end = datetime.now(UTC) - timedelta(days=3)
        step = timedelta(days=SIMULATED_DAYS) / orders
        for n in range(1, orders + 1):
            order_id = f"{seed}-{n}"
            buyer = (
                rng.choice(customers)
                if rng.random() < 0.75
                else {
                    "id": None,
                    "email": f"guest{rng.randint(1, 5)}@example.com",
                    "first_name": "Misafir",
                    "last_name": "",
                }
            )
            subtotal = Decimal(rng.randint(2000, 60000)) / 100
            order = {
                "id": order_id,
                "number": str(1000 + n),
                "currency": "TRY",
                "status": "paid",
                "customer": buyer,
                "subtotal": str(subtotal),
                "total": str(subtotal + Decimal("29.90")),
                "refunds": [],
                "created_at": (end - step * (orders - n)).isoformat(timespec="seconds"),
            }
            if rng.random() < 0.15:
                yield self.webhook(shop_id, webhook_secret, ORDER_TOPIC, order | {"status": "pending"}, "order pending")
            delivery = uuid.uuid4().hex
            yield self.webhook(shop_id, webhook_secret, ORDER_TOPIC, order, "order", delivery)
            if rng.random() < 0.05:
                yield self.webhook(shop_id, webhook_secret, ORDER_TOPIC, order, "repeated delivery", delivery)
            roll = rng.random()
            if roll < 0.12:
                refund = {"id": f"r{order_id}", "amount": str((subtotal / 2).quantize(Decimal("0.01")))}
                yield self.webhook(shop_id, webhook_secret, ORDER_TOPIC, order | {"refunds": [refund]}, "refund")
            elif roll < 0.17:
                yield self.webhook(shop_id, webhook_secret, ORDER_TOPIC, order | {"status": "cancelled"}, "cancel")
            elif roll < 0.77:
                yield from self._parcel(shop_id, webhook_secret, carrier_secret, order, rng)

    def _parcel(
        self, shop_id: int, webhook_secret: str, carrier_secret: str, order: dict[str, Any], rng: random.Random
    ) -> Iterator[SimulatedRequest]:
        number = f"SBX{rng.randint(10**9, 10**10 - 1)}"
        shipped = datetime.fromisoformat(order["created_at"]) + timedelta(hours=20)
        shipment = {
            "id": f"s{order['id']}",
            "order_id": order["id"],
            "carrier": "Sandbox Kargo",
            "tracking_number": number,
            "tracking_url": f"https://tracking.sandbox.invalid/{number}",
            "status": "shipped",
            "updated_at": shipped.isoformat(),
        }
        yield self.webhook(shop_id, webhook_secret, SHIPMENT_TOPIC, shipment, "shipment")
        statuses = ["in_transit", "out_for_delivery", "delivered"]
        if rng.random() < 0.1:
            statuses.insert(1, "delayed")
        for hours, status in enumerate(statuses, start=1):
            news = {
                "tracking_number": number,
                "carrier": "Sandbox Kargo",
                "status": status,
                "happened_at": (shipped + timedelta(hours=12 * hours)).isoformat(),
                "location": "İstanbul",
            }
            body = json.dumps(news).encode()
            yield SimulatedRequest(
                path=f"/webhooks/carrier/{shop_id}",
                headers={"Content-Type": "application/json", "X-Sadakat-Signature": _sign(body, carrier_secret)},
                body=body,
                what=f"carrier {status}",
            )

    def webhook(
        self, shop_id: int, secret: str, topic: str, payload: dict[str, Any], what: str, delivery: str | None = None
    ) -> SimulatedRequest:
        body = json.dumps(payload).encode()
        if topic == ORDER_TOPIC:
            self.records.keep_order(shop_id, payload)
        headers = {
            "Content-Type": "application/json",
            "X-Sandbox-Topic": topic,
            "X-Sandbox-Delivery-Id": delivery or uuid.uuid4().hex,
            "X-Sandbox-Signature": _sign(body, secret),
        }
        return SimulatedRequest(path=self.webhook_path, headers=headers, body=body, what=what)


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
