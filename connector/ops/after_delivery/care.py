"""The care queue for admins: what needs a person, with everything known about it, and what they do
about it (send a code, add a note, resolve)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.after_delivery import CareItem, SurveyRecord
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, IssuedCode, OrderRecord, ShipmentRecord, Shop, utcnow
from connector.errors import Invalid
from connector.language.catalogs import N_, Words
from connector.ops.carriers import shipment_history
from connector.ops.merchants import audit
from connector.outbox import pushes
from connector.settle.after_delivery import care

KIND_WORDS = Words(
    "admin",
    {
        "detractor": N_("An unhappy survey answer"),
        "delivery_failure": N_("A delivery failed"),
        "delivery_returned": N_("A parcel is going back"),
        "delivery_delayed": N_("A parcel is delayed"),
        "delivery_late": N_("A parcel is late past its estimate"),
        "no_points": N_("An order could not earn points"),
        "unmatched_tracking": N_("Parcel news for an unknown tracking number"),
        "unmatched_flood": N_("Too much parcel news for unknown tracking numbers today"),
        "destination_disabled": N_("A webhook endpoint failed for three days and was turned off"),
    },
)
MAX_NOTE = 2000


class CareActionError(Invalid):
    """An action on a care item can't be done as asked; the message names the field."""


def open_count(session: Session, shop_id: int) -> int:
    """How many items of the shop wait for a person."""
    query = select(func.count()).where(CareItem.shop_id == shop_id, CareItem.status == CareItem.OPEN)
    return int(session.scalar(query) or 0)


def items(session: Session, shop_id: int, status: str | None = CareItem.OPEN, limit: int = 100) -> list[dict[str, Any]]:
    """The shop's items, newest first, each with its customer, order, parcel and what was done."""
    query = select(CareItem).where(CareItem.shop_id == shop_id).order_by(CareItem.id.desc()).limit(limit)
    if status:
        query = query.where(CareItem.status == status)
    return [item_json(session, item) for item in session.scalars(query)]


def item_json(session: Session, item: CareItem) -> dict[str, Any]:
    """One item with everything a person needs to act on it."""
    customer = session.get(CustomerRecord, item.customer_id) if item.customer_id else None
    order = (
        session.scalars(
            select(OrderRecord).where(OrderRecord.shop_id == item.shop_id, OrderRecord.order_id == item.order_id)
        ).first()
        if item.order_id
        else None
    )
    survey = (
        session.scalars(
            select(SurveyRecord).where(SurveyRecord.shop_id == item.shop_id, SurveyRecord.order_id == item.order_id)
        ).first()
        if item.order_id
        else None
    )
    # The codes given for this item: sent from it, or given by the programme for its order or its parcels.
    shipments = (
        set(
            session.scalars(
                select(ShipmentRecord.shipment_id).where(
                    ShipmentRecord.shop_id == item.shop_id, ShipmentRecord.order_id == item.order_id
                )
            )
        )
        if item.order_id
        else set()
    )
    about = {f"manual:care:{item.id}"}
    suffixes = tuple(f":{name}" for name in ({item.order_id} | shipments) if name)
    codes = [
        c
        for c in (
            session.scalars(
                select(IssuedCode).where(IssuedCode.shop_id == item.shop_id, IssuedCode.customer_id == customer.id)
            ).all()
            if customer is not None
            else []
        )
        # the item's own: codes sent from it, and the apology its parcel's trouble gave (not the order's gifts)
        if c.reason in about or (c.reason.startswith("gift:delivery_problem:") and c.reason.endswith(suffixes))
    ]
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "detail": item.detail,
        "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "customer": {
            "id": customer.platform_id,
            "email": customer.email,
            "name": " ".join(n for n in (customer.first_name, customer.last_name) if n) or None,
        }
        if customer
        else None,
        "order": {"id": order.order_id, "name": order.name} if order else None,
        "survey": {"score": survey.score, "comment": survey.comment} if survey and survey.score is not None else None,
        "parcel": shipment_history(session, item.shop_id, item.tracking_number) if item.tracking_number else None,
        "codes": [
            {
                "code": c.code,
                "kind": c.kind,
                "value": str(c.value),
                "reason": c.reason,
                "created_at": c.created_at.isoformat(),
            }
            for c in codes
        ],
        "history": item.history or [],
    }


def _item(session: Session, shop_id: int, item_id: int) -> CareItem:
    item = session.get(CareItem, item_id, with_for_update=True) if 0 < item_id < 2**31 else None
    if item is None or item.shop_id != shop_id:
        raise LookupError(f"no care item {item_id} in shop {shop_id}")
    return item


def add_note(storage: Storage, shop_id: int, item_id: int, text: Any, by: str, source: str | None = None) -> None:
    """Add a note to an item (and to the shop's audit trail)."""
    if not isinstance(text, str) or not text.strip():
        raise CareActionError("text: write the note")
    with storage.session() as session:
        care.note(_item(session, shop_id, item_id), by, "note", text.strip()[:MAX_NOTE])
        audit.record(session, shop_id, by, source, "care", f"item {item_id}", None, "note")


def resolve(storage: Storage, shop_id: int, item_id: int, by: str, source: str | None = None) -> None:
    """Mark an item resolved (and note it in the shop's audit trail)."""
    with storage.session() as session:
        item = _item(session, shop_id, item_id)
        if item.status != CareItem.RESOLVED:
            care.note(item, by, "resolved", "")
            item.status, item.resolved_at = CareItem.RESOLVED, utcnow()
            audit.record(session, shop_id, by, source, "care", f"item {item_id}", item.status, "resolved")


def send_code(
    storage: Storage,
    shop_id: int,
    item_id: int,
    *,
    kind: Any,
    value: Any,
    days: Any,
    by: str,
    source: str | None = None,
) -> pushes.Issued:
    """Send the item's customer a code (created in the store through the outbox, then e-mailed); the same
    item gets at most one code. CareActionError or PushRequestError name a bad field."""
    with storage.session() as session:
        item = _item(session, shop_id, item_id)
        customer = session.get(CustomerRecord, item.customer_id) if item.customer_id else None
        shop = session.get(Shop, shop_id)
        if customer is None or shop is None:
            raise CareActionError("customer: this item has no customer to send a code to")
        ident = customer.platform_id or customer.email or ""
    issued = pushes.issue_code_for(
        storage, shop_id, ident, kind=kind, value=value, days=days, title="A gift from us", key=f"care:{item_id}"
    )
    with storage.session() as session:
        care.note(_item(session, shop_id, item_id), by, "code", issued.code)
        if not issued.repeated:
            audit.record(
                session, shop_id, by, source, "code", f"care item {item_id}", None, {"kind": kind, "value": value}
            )
    return issued
