"""Backfill: orders placed before Sadakat was installed count too, through the same idempotent path as
live webhooks (inbox → process), so running it twice is running it once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from rq import Queue
from sqlalchemy import func, select

from adapters import get_adapter
from adapters.base import PayloadError
from connector import inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop, WebhookEvent
from connector.model import Order
from connector.outbox import pushes, tokens
from connector.programme import ProgrammeSettings, programme_of
from connector.settle import orders

CHUNK = 500
"""Orders stored and settled per transaction: the adapter's pages are read as they come, never all held."""


@dataclass
class Summary:
    """What a backfill found and did."""

    orders: int = 0
    events: int = 0
    already_known: int = 0
    unreadable: int = 0
    failed: int = 0
    points: int = 0
    customers: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        """For printing."""
        return {
            "orders": self.orders,
            "events": self.events,
            "already_known": self.already_known,
            "unreadable": self.unreadable,
            "failed": self.failed,
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
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Bring in the shop's orders placed since ``since``, ``CHUNK`` at a time: each chunk is stored in the
    inbox, then settled together as a drain settles webhooks (``failed``: left for the sweeper to retry).
    A dry run reads and totals them, storing nothing. ``progress`` hears after every chunk."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        platform = shop.platform
        programme = programme_of(shop)
    adapter = get_adapter(platform)
    found = adapter.past_orders(tokens.fresh_access(storage, shop_id, adapter, config), since)
    summary = Summary()
    points_before = ledger_total(storage, shop_id)
    while chunk := list(islice(found, CHUNK)):
        stored: list[int] = []
        estimate: list[Order] = []
        for topic, delivery_id, payload in chunk:
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
                estimate += [order] if order is not None else []
                continue
            body = json.dumps(payload).encode()
            kept = inbox.store(storage, shop_id, delivery_id, topic, body, WebhookEvent.PENDING)
            if kept.duplicate:
                summary.already_known += 1
            else:
                stored.append(kept.event_id)  # type: ignore[arg-type]
        if estimate:
            summary.points += _estimate(storage, shop_id, programme, estimate)
        if stored:
            _settle(storage, queue, stored, summary)
            storage.let_writers_in()
        if progress:
            progress(summary)
    if not dry_run:
        summary.points = ledger_total(storage, shop_id) - points_before
    return summary


def _estimate(storage: Storage, shop_id: int, programme: ProgrammeSettings, found: list[Order]) -> int:
    """What the orders would earn (a dry run's estimate), each by the rule settling uses, at its buyer's
    tier now (one read of the buyers' tiers)."""
    keys = {order.customer.key for order in found if order.customer.key}
    with storage.session(read_only=True) as session:
        tier_of = dict(
            session.execute(
                select(CustomerRecord.key, CustomerRecord.tier).where(
                    CustomerRecord.shop_id == shop_id, CustomerRecord.key.in_(keys)
                )
            ).all()
        )
    return sum(
        orders.earning(
            programme, o.merchandise_amount, o.shipping_amount, o.tax_amount, tier_of.get(o.customer.key)
        ).points
        for o in found
        if o.paid and not o.cancelled and not o.fully_refunded
    )


def _settle(storage: Storage, queue: Queue, event_ids: list[int], summary: Summary) -> None:
    """Settle stored events together, as a drain does; one that fails stays pending for the sweeper."""
    summary.events += len(event_ids)
    batch = inbox.process_batch(storage, event_ids)
    for event_id, reason in batch.unstorable.items():
        inbox.fail(storage, event_id, reason)
    for event_id, error in batch.errors.items():
        inbox.record_error(storage, event_id, error)
    summary.failed += len(batch.unstorable) + len(batch.errors)
    pushes.dispatch(storage, queue, batch.pushes)


def ledger_total(storage: Storage, shop_id: int) -> int:
    """The sum of every entry in the shop's ledger."""
    with storage.session() as session:
        return int(
            session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.shop_id == shop_id))
            or 0
        )
