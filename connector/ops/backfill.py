"""Backfill: orders placed before Sadakat was installed count too, through the same idempotent path as
live webhooks (inbox → process), so running it twice is running it once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rq import Queue
from sqlalchemy import func, select

from adapters import get_adapter
from adapters.base import PayloadError
from connector import inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Shop, WebhookEvent
from connector.outbox import pushes, tokens
from connector.programme import programme_of
from connector.rules import points as rules

Found = list[tuple[str, str, dict[str, Any]]]


@dataclass
class Summary:
    """What a backfill found and did."""

    orders: int = 0
    events: int = 0
    already_known: int = 0
    unreadable: int = 0
    points: int = 0
    customers: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        """For printing."""
        return {
            "orders": self.orders,
            "events": self.events,
            "already_known": self.already_known,
            "unreadable": self.unreadable,
            "points": self.points,
            "customers": len(self.customers),
        }


def backfill(
    storage: Storage,
    queue: Queue,
    config: Config,
    shop_id: int,
    since: datetime,
    *,
    dry_run: bool = False,
    progress: Callable[[Found], Found] | None = None,
) -> Summary:
    """Bring in the shop's orders placed since ``since``. A dry run reads and totals them, storing nothing."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        platform = shop.platform
        programme = programme_of(shop)
    adapter = get_adapter(platform)
    found = list(adapter.past_orders(tokens.fresh_access(storage, shop_id, adapter, config), since))
    summary = Summary()
    points_before = ledger_total(storage, shop_id)
    for topic, delivery_id, payload in progress(found) if progress else found:
        try:
            event = adapter.parse(topic, payload)
        except PayloadError:
            summary.unreadable += 1
            continue
        order = event.order
        if order is not None:
            summary.orders += 1
            if order.customer.key:
                summary.customers.add(order.customer.key)
        if dry_run:
            if order is not None and order.paid and not (order.cancelled or order.fully_refunded):
                basis = rules.earning_basis(
                    order.merchandise_amount,
                    order.shipping_amount if programme.include_shipping else None,
                    order.tax_amount if programme.include_tax else None,
                )
                summary.points += rules.points_for_purchase(basis, programme.earn_rate)
            continue
        stored = inbox.store(storage, shop_id, delivery_id, topic, json.dumps(payload).encode(), WebhookEvent.PENDING)
        if stored.duplicate:
            summary.already_known += 1
            continue
        summary.events += 1
        processed = inbox.process(storage, stored.event_id)
        pushes.dispatch(storage, queue, processed.pushes)
    if not dry_run:
        summary.points = ledger_total(storage, shop_id) - points_before
    return summary


def ledger_total(storage: Storage, shop_id: int) -> int:
    """The sum of every entry in the shop's ledger."""
    with storage.session() as session:
        return int(
            session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.shop_id == shop_id))
            or 0
        )
