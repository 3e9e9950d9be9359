"""Tracking services a shop connects (their webhook URLs and secrets), and a shipment's tracking history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters import UnknownTrackingService, get_tracking_service, tracking_services
from adapters.tracking_base import TrackingService
from connector.db.storage import Storage
from connector.db.tables import CarrierConnection, ShipmentRecord, Shop, TrackingEvent, utcnow
from connector.errors import Invalid
from connector.model import tracking_key

MIN_SECRET = 8
MAX_SECRET = 512


class CarrierSetupError(Invalid):
    """A tracking service can't be connected as asked; the message says why, naming the field."""


def webhook_url(public_url: str, shop_id: int, service: str, token: str | None = None) -> str:
    """Where the service should send the shop's webhooks (with the URL token, where one is set)."""
    url = f"{public_url}/webhooks/carrier/{shop_id}/{service}"
    return f"{url}?token={quote(token, safe='')}" if token else url


def connect(storage: Storage, shop_id: int, service_name: str, secret: str | None, token: str | None) -> None:
    """Store the shop's secret (and URL token) for a tracking service, encrypted; what isn't given stays.

    LookupError for an unknown shop; CarrierSetupError for anything else wrong (nothing is changed)."""
    service = _service(service_name)
    secret = _credential("secret", secret)
    token = _credential("token", token)
    if token is not None and not service.accepts_url_token:
        raise CarrierSetupError(f"token: {service.label} signs every webhook, so it needs only a secret")
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        row = session.scalars(
            select(CarrierConnection)
            .where(CarrierConnection.shop_id == shop_id, CarrierConnection.service == service.name)
            .with_for_update()
        ).one_or_none()
        if row is None:
            if secret is None and token is None:
                needed = "a secret or a token" if service.accepts_url_token else "a secret"
                raise CarrierSetupError(f"secret: {service.label} needs {needed} to connect")
            session.add(CarrierConnection(shop_id=shop_id, service=service.name, secret=secret, token=token))
            return
        row.secret = secret if secret is not None else row.secret
        row.token = token if token is not None else row.token


def service_labels() -> dict[str, str]:
    """Each tracking service's machine name and the name people know it by."""
    return {service.name: service.label for service in tracking_services()}


def connections(session: Session, shop_id: int, public_url: str) -> list[dict[str, Any]]:
    """Every tracking service, and whether (and how) the shop connected it."""
    rows = {
        row.service: row
        for row in session.scalars(select(CarrierConnection).where(CarrierConnection.shop_id == shop_id))
    }
    listed = []
    for service in tracking_services():
        row = rows.get(service.name)
        listed.append(
            {
                "service": service.name,
                "label": service.label,
                "connected": row is not None,
                "webhook_url": webhook_url(public_url, shop_id, service.name, row.token if row else None),
                "has_secret": bool(row and row.secret),
                "has_token": bool(row and row.token),
                "accepts_token": service.accepts_url_token,
                "updated_at": _iso(row.updated_at) if row else None,
            }
        )
    return listed


def shipment_history(session: Session, shop_id: int, number: str) -> dict[str, Any] | None:
    """A shipment's tracking state and every piece of news about its number, oldest first; None if neither a
    shipment nor any news has this tracking number."""
    key = tracking_key(number)
    shipment = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop_id, ShipmentRecord.tracking_key == key)
        .order_by(ShipmentRecord.id)
        .limit(1)
    ).first()
    events = session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.shop_id == shop_id, TrackingEvent.tracking_key == key)
        .order_by(TrackingEvent.happened_at.is_(None), TrackingEvent.happened_at, TrackingEvent.id)
    ).all()
    if shipment is None and not events:
        return None
    return {
        "tracking_number": shipment.tracking_number if shipment else events[0].tracking_number,
        "matched": shipment is not None,
        "order_id": shipment.order_id if shipment else None,
        "shipment_id": shipment.shipment_id if shipment else None,
        "status": shipment.tracking_status if shipment else None,
        "carrier": shipment.carrier if shipment else None,
        "tracking_url": shipment.tracking_url if shipment else None,
        "estimated_delivery_at": _iso(shipment.estimated_delivery_at) if shipment else None,
        "events": [
            {
                "status": event.status,
                "happened_at": _iso(event.happened_at),
                "received_at": _iso(event.received_at),
                "location": event.location,
                "service": event.service,
                "detail": event.detail,
                "test": event.test,
                "applied": event.applied_at is not None,
            }
            for event in events
        ],
    }


def unmatched_numbers(session: Session, shop_id: int, limit: int) -> list[str]:
    """Tracking numbers with news that found no shipment yet (and may still, within the waiting time)."""
    since = utcnow() - timedelta(days=TrackingEvent.WAITS_DAYS)
    rows = session.execute(
        select(TrackingEvent.tracking_number, func.max(TrackingEvent.id))
        .where(
            TrackingEvent.shop_id == shop_id,
            TrackingEvent.applied_at.is_(None),
            TrackingEvent.received_at >= since,
        )
        .group_by(TrackingEvent.tracking_number)
        .order_by(func.max(TrackingEvent.id).desc())
        .limit(limit)
    ).all()
    return [number for number, _ in rows]


def _service(name: str) -> TrackingService:
    try:
        service = get_tracking_service(name)
    except UnknownTrackingService as exc:
        raise CarrierSetupError(f"service: {exc}") from None
    if service not in tracking_services():
        known = ", ".join(s.name for s in tracking_services())
        raise CarrierSetupError(f"service: the shop's own carrier secret is set already; known services: {known}")
    return service


def _credential(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not (MIN_SECRET <= len(value) <= MAX_SECRET) or not value.isprintable():
        raise CarrierSetupError(
            f"{name}: paste the {name} exactly as the service shows it ({MIN_SECRET} to {MAX_SECRET} characters)"
        )
    return value


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
