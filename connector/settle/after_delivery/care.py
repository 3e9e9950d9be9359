"""Opening care items: what needs a person at the store, each opened once (its key) and kept until resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.after_delivery import CareItem
from connector.db.storage import upsert_insert
from connector.db.tables import OrderRecord, Shop, utcnow
from connector.outbox import events

KINDS = (
    "detractor",
    "delivery_failure",
    "delivery_returned",
    "delivery_delayed",
    "delivery_late",
    "no_points",
    "unmatched_tracking",
    "unmatched_flood",
    "destination_disabled",
)
DELIVERY_KINDS = {"failure": "delivery_failure", "returned": "delivery_returned", "delayed": "delivery_delayed"}


def open_item(
    session: Session,
    shop_id: int,
    kind: str,
    key: str,
    *,
    order_id: str | None = None,
    tracking_number: str | None = None,
    detail: str | None = None,
    done: str | None = None,
) -> None:
    """Open an item unless one with ``key`` exists; ``done`` records what Sadakat already did about it."""
    assert kind in KINDS, kind
    customer_id = None
    if order_id is not None:
        customer_id = session.scalar(
            select(OrderRecord.customer_id).where(OrderRecord.shop_id == shop_id, OrderRecord.order_id == order_id)
        )
    history: list[dict[str, Any]] = []
    if done:
        history.append({"at": utcnow().isoformat(), "by": "Sadakat", "what": done, "text": ""})
    opened = session.execute(
        upsert_insert(session, CareItem)
        .values(
            shop_id=shop_id,
            key=key[:255],
            kind=kind,
            order_id=order_id,
            customer_id=customer_id,
            tracking_number=tracking_number,
            detail=detail,
            status=CareItem.OPEN,
            history=history,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "key"])
        .returning(CareItem.id)
    )
    shop = session.get(Shop, shop_id) if opened.first() is not None else None
    if shop is not None:
        cause = {"type": "order" if order_id else "care_rule", "id": order_id or key[:255]}
        details = {"care": {"kind": kind, "detail": detail, "order_id": order_id, "tracking_number": tracking_number}}
        events.emit(session, shop, [events.NewEvent("care.opened", f"care.opened:{key}", customer_id, cause, details)])


def note(item: CareItem, by: str, what: str, text: str) -> None:
    """Add to what was done about an item."""
    item.history = [*(item.history or []), {"at": utcnow().isoformat(), "by": by, "what": what, "text": text}]


def resolve_key(session: Session, shop_id: int, key: str, why: str) -> None:
    """Resolve the open item with ``key``, if any, saying why in one word the pages put in words
    (``delivered``): Sadakat resolved it itself."""
    item = session.scalars(
        select(CareItem).where(CareItem.shop_id == shop_id, CareItem.key == key, CareItem.status == CareItem.OPEN)
    ).first()
    if item is not None:
        note(item, "Sadakat", f"resolved_{why}", "")
        item.status = CareItem.RESOLVED
        item.resolved_at = utcnow()
