"""Shipment tracking: carriers' news applied to shipments, and told to the store once per status, never backwards.

A parcel moves forward through label → in transit → out for delivery → delivered (→ returned). Delays,
failed attempts and failures can happen any time before it is delivered. A status is told to the store
only if it moves the parcel forward (or is such a problem), and each (shipment, status) only once: a late
``in_transit`` after ``delivered`` stays quiet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.base import text_field, time_field, url_field
from connector.db.tables import OrderRecord, ShipmentRecord, Shop, TrackingEvent, utcnow
from connector.model import TRACKING_STATUSES, TrackingPush
from connector.outbox import notices
from connector.outbox import requests as outbox
from connector.outbox.pushes import TRACKING, tracking_payload
from connector.programme import programme_of
from connector.settle import gifts

PROGRESS = ("label_created", "in_transit", "out_for_delivery", "delivered", "returned")
PROBLEMS = frozenset({"delayed", "attempted_delivery", "failure"})
CARRIER_TOPIC = "carrier/tracking"


class CarrierUpdateError(ValueError):
    """A carrier's update can't be used; the message says why."""


@dataclass(frozen=True)
class CarrierUpdate:
    """A carrier's (or tracking service's) news about one tracking number."""

    tracking_number: str
    status: str
    carrier: str | None
    tracking_url: str | None
    happened_at: datetime | None
    location: str | None
    estimated_delivery_at: datetime | None


def parse_carrier_update(payload: dict[str, Any]) -> CarrierUpdate:
    """Validate a ``POST /webhooks/carrier/<shop>`` body."""
    number = text_field(payload.get("tracking_number"), 128)
    if not number:
        raise CarrierUpdateError("tracking_number is required")
    status = payload.get("status")
    if status not in TRACKING_STATUSES:
        raise CarrierUpdateError(f"status must be one of {', '.join(TRACKING_STATUSES)}, got {status!r}"[:300])
    happened_at = time_field(payload, "happened_at")
    if payload.get("happened_at") is not None and happened_at is None:
        raise CarrierUpdateError("happened_at must be an ISO 8601 time")
    if happened_at is not None and happened_at.tzinfo is None:
        raise CarrierUpdateError("happened_at must include a time zone")
    url = url_field(payload.get("tracking_url"))
    if url is None and text_field(payload.get("tracking_url"), 2000):
        raise CarrierUpdateError("tracking_url must be an http(s) URL")
    return CarrierUpdate(
        tracking_number=number,
        status=status,
        carrier=text_field(payload.get("carrier"), 128),
        tracking_url=url,
        happened_at=happened_at,
        location=text_field(payload.get("location"), 255),
        estimated_delivery_at=time_field(payload, "estimated_delivery_at"),
    )


def is_news(status: str, progress: str | None) -> bool:
    """Whether ``status`` is worth telling, given how far the parcel is known to have come."""
    if status in PROBLEMS:
        return progress not in ("delivered", "returned")
    if status not in PROGRESS:
        return False
    return progress is None or PROGRESS.index(status) > PROGRESS.index(progress)


def further(progress: str | None, status: str | None) -> str | None:
    """The further along of two points on the parcel's way (problems don't move it)."""
    if status not in PROGRESS:
        return progress
    if progress is None or PROGRESS.index(status) > PROGRESS.index(progress):
        return status
    return progress


def record_carrier_update(session: Session, shop: Shop, update: CarrierUpdate) -> list[int]:
    """Keep the update, and tell the store about it if its shipment is known. Returns push ids."""
    session.add(
        TrackingEvent(
            shop_id=shop.id,
            tracking_number=update.tracking_number,
            status=update.status,
            carrier=update.carrier,
            tracking_url=update.tracking_url,
            location=update.location,
            happened_at=update.happened_at,
            estimated_delivery_at=update.estimated_delivery_at,
        )
    )
    session.flush()
    return apply_tracking(session, shop, update.tracking_number)


def apply_tracking(session: Session, shop: Shop, tracking_number: str | None) -> list[int]:
    """Apply carriers' updates waiting for this tracking number to its shipment, in the order they
    happened, and request a push for each that is news. Returns the push ids."""
    if not tracking_number:
        return []
    shipment = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.tracking_number == tracking_number)
        .order_by(ShipmentRecord.id)
        .limit(1)
        .with_for_update()
    ).first()
    if shipment is None:
        return []  # the store hasn't told us about the parcel yet; its shipment webhook applies these
    waiting = session.scalars(
        select(TrackingEvent)
        .where(
            TrackingEvent.shop_id == shop.id,
            TrackingEvent.tracking_number == tracking_number,
            TrackingEvent.applied_at.is_(None),
        )
        .order_by(TrackingEvent.happened_at.is_(None), TrackingEvent.happened_at, TrackingEvent.id)
    ).all()
    locale = programme_of(shop).locale
    order = session.scalars(
        select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == shipment.order_id)
    ).first()
    order_label = (order.name if order and order.name else None) or shipment.order_id
    requested = []
    for event in waiting:
        event.applied_at = utcnow()
        details_changed = bool(
            (event.carrier and event.carrier != shipment.carrier)
            or (event.tracking_url and event.tracking_url != shipment.tracking_url)
        )
        news = is_news(event.status, shipment.tracking_progress)
        if not news and not details_changed:
            continue
        if details_changed:
            shipment.carrier = event.carrier or shipment.carrier
            shipment.tracking_url = event.tracking_url or shipment.tracking_url
        status = event.status if news else None
        if news:
            shipment.tracking_status = event.status
            shipment.tracking_progress = further(shipment.tracking_progress, event.status)
        message = notices.tracking_message(
            locale,
            status,
            order=order_label,
            carrier=shipment.carrier,
            number=shipment.tracking_number,
            url=shipment.tracking_url,
            location=event.location,
            eta=event.estimated_delivery_at.date().isoformat() if event.estimated_delivery_at else None,
        )
        push = TrackingPush(
            order_id=shipment.order_id,
            shipment_id=shipment.shipment_id,
            tracking_number=shipment.tracking_number,
            carrier=shipment.carrier,
            tracking_url=shipment.tracking_url,
            status=status,
            message=message,
            details_changed=details_changed,
            happened_at=event.happened_at,
            location=event.location,
            estimated_delivery_at=event.estimated_delivery_at,
        )
        detail = hashlib.sha256(f"{shipment.carrier}|{shipment.tracking_url}".encode()).hexdigest()[:16]
        key = f"tracking:{shipment.shipment_id}:{status or 'details-' + detail}"
        push_id = outbox.request(session, shop.id, TRACKING, key, shipment.shipment_id, tracking_payload(push))
        if push_id is not None:
            requested.append(push_id)
        if status in PROBLEMS:
            requested += gifts.for_delivery_problem(session, shop, shipment.order_id, shipment.shipment_id)
    return requested
