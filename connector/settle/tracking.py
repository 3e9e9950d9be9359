"""Shipment tracking: parcel news from carriers and tracking services applied to shipments, and told to the
store once per status, never backwards (see ``connector.rules.tracking``).

News is matched to a shipment by its tracking number without case or spaces. News for a number no shipment
of the shop has yet is kept (its webhook event is listed as unmatched) and applied if the shipment appears
within ``TrackingEvent.WAITS_DAYS`` days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector.db.storage import upsert_insert
from connector.db.tables import OrderRecord, ShipmentRecord, Shop, TrackingEvent, WebhookEvent, utcnow
from connector.language import formats
from connector.model import CarrierUpdate, Shipment, ShipmentStatus, TrackingPush, tracking_key
from connector.outbox import notices
from connector.outbox import requests as outbox
from connector.outbox.pushes import TRACKING, tracking_payload
from connector.programme import programme_of
from connector.rules.tracking import PROBLEMS, further, is_news
from connector.settle import door, gifts
from connector.settle.after_delivery import care, surveys

CARRIER_TOPIC = "carrier/tracking"
"""The topic of news in Sadakat's own format; a tracking service's news is ``carrier/<service>``."""
GENERIC = "sadakat"


def carrier_topic(service: str) -> str:
    """The webhook event topic for news from ``service``."""
    return CARRIER_TOPIC if service == GENERIC else f"carrier/{service}"


def service_of(topic: str) -> str | None:
    """The tracking service whose news an event with ``topic`` holds, or None for a store's event."""
    if topic == CARRIER_TOPIC:
        return GENERIC
    return topic.removeprefix("carrier/") if topic.startswith("carrier/") else None


@dataclass(frozen=True)
class CarrierNews:
    """The front door's change for a tracking service's news: ``event_id`` is the inbox event that held it."""

    shop: Shop
    updates: list[CarrierUpdate]
    event_id: int | None = None

    def apply(self, session: Session) -> door.Applied[bool]:
        """Keep and apply the news; the result says whether every update found its shipment."""
        requested, matched = record_carrier_updates(session, self.shop, self.updates, self.event_id)
        return door.Applied(matched, [(push, self.shop.id) for push in requested if push])


def record_carrier_updates(
    session: Session, shop: Shop, updates: Iterable[CarrierUpdate], event_id: int | None = None
) -> tuple[list[int], bool]:
    """Keep the updates and apply them to their shipments. Returns the push ids asked for, and whether
    every update found its shipment."""
    numbers: dict[str, str] = {}
    for news in updates:
        key = tracking_key(news.tracking_number)
        numbers.setdefault(key, news.tracking_number)
        session.add(
            TrackingEvent(
                shop_id=shop.id,
                tracking_number=news.tracking_number,
                tracking_key=key,
                status=news.status,
                carrier=news.carrier,
                tracking_url=news.tracking_url,
                location=news.location,
                happened_at=news.happened_at,
                estimated_delivery_at=news.estimated_delivery_at,
                service=news.service,
                detail=news.detail,
                test=news.test,
                event_id=event_id,
            )
        )
    session.flush()
    requested: list[int] = []
    matched = True
    for key, number in numbers.items():
        applied = _apply(session, shop, key)
        if applied is None:
            matched = False
            care.open_item(
                session,
                shop.id,
                "unmatched_tracking",
                f"unmatched:{key}",
                tracking_number=number,
            )
        else:
            requested += applied
    return requested, matched


def shipment_known(session: Session, shop_id: int, number: str) -> bool:
    """Whether a shipment of the shop has this tracking number (without case or spaces)."""
    return _shipment(session, shop_id, tracking_key(number), lock=False) is not None


def record_store_news(
    session: Session, shop: Shop, shipment: ShipmentRecord, status: str, happened_at: datetime | None
) -> None:
    """Keep the store's own news about a shipment in its history (the store already knows it: nothing is told)."""
    if shipment.tracking_number:
        session.add(
            TrackingEvent(
                shop_id=shop.id,
                tracking_number=shipment.tracking_number,
                tracking_key=tracking_key(shipment.tracking_number),
                status=status,
                happened_at=happened_at,
                service=shop.platform,
                applied_at=utcnow(),
            )
        )


def _shipment(session: Session, shop_id: int, key: str, *, lock: bool) -> ShipmentRecord | None:
    query = (
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop_id, ShipmentRecord.tracking_key == key)
        .order_by(ShipmentRecord.id)
        .limit(1)
    )
    return session.scalars(query.with_for_update() if lock else query).first()


def apply_tracking(session: Session, shop: Shop, tracking_number: str | None) -> list[int]:
    """Apply the news waiting for this tracking number to its shipment, in the order it happened, and
    request a push for each piece that is news. Returns the push ids."""
    if not tracking_number:
        return []
    return _apply(session, shop, tracking_key(tracking_number)) or []


def _apply(session: Session, shop: Shop, key: str) -> list[int] | None:
    """Apply the news waiting for the shipment with ``key``, oldest first: each that moves the parcel on, or
    changes its carrier or link, is told to the store once; a problem brings an apology and a care item."""
    shipment = _shipment(session, shop.id, key, lock=True)
    if shipment is None:
        return None  # the store hasn't told us about the parcel yet; its shipment webhook applies these
    waiting = _waiting(session, shop.id, key)
    _found_their_shipment({event.event_id for event in waiting if event.event_id is not None}, session)
    if waiting:
        care.resolve_key(session, shop.id, f"unmatched:{key}", "shipment_arrived")
    order = session.scalars(
        select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == shipment.order_id)
    ).first()
    order_label = (order.name if order and order.name else None) or shipment.order_id
    requested = []
    for event in waiting:
        event.applied_at = utcnow()
        if event.estimated_delivery_at is not None:
            shipment.estimated_delivery_at = event.estimated_delivery_at
        details_changed = bool(
            (event.carrier and event.carrier.casefold() != (shipment.carrier or "").casefold())
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
        requested += _tell_store(session, shop, shipment, event, status, order_label, details_changed)
        apologies = []
        if status in PROBLEMS:
            apologies = gifts.for_delivery_problem(session, shop, shipment.order_id, shipment.shipment_id)
            requested += apologies
        if status:
            follow_up(session, shop, shipment, status, event.happened_at, event.detail, bool(apologies))
    return requested


def _waiting(session: Session, shop_id: int, key: str) -> list[TrackingEvent]:
    """News for the number not applied yet and not too old to wait for its shipment, in the order it happened."""
    return list(
        session.scalars(
            select(TrackingEvent)
            .where(
                TrackingEvent.shop_id == shop_id,
                TrackingEvent.tracking_key == key,
                TrackingEvent.applied_at.is_(None),
                TrackingEvent.received_at >= utcnow() - timedelta(days=TrackingEvent.WAITS_DAYS),
            )
            .order_by(TrackingEvent.happened_at.is_(None), TrackingEvent.happened_at, TrackingEvent.id)
        )
    )


def _tell_store(
    session: Session,
    shop: Shop,
    shipment: ShipmentRecord,
    event: TrackingEvent,
    status: str | None,
    order_label: str,
    details_changed: bool,
) -> list[int]:
    """Ask for the parcel's news (``status``, or None for new details only) to be told to the store, once."""
    locale = programme_of(shop).locale
    message = notices.tracking_message(
        locale,
        status,
        order=order_label,
        carrier=shipment.carrier,
        number=shipment.tracking_number,
        url=shipment.tracking_url,
        location=event.location,
        eta=formats.day(event.estimated_delivery_at.date(), locale) if event.estimated_delivery_at else None,
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
    push_key = f"tracking:{shipment.shipment_id}:{status or 'details-' + detail}"
    push_id = outbox.request(session, shop.id, TRACKING, push_key, shipment.shipment_id, tracking_payload(push))
    return [push_id] if push_id is not None else []


def follow_up(
    session: Session,
    shop: Shop,
    shipment: ShipmentRecord,
    status: str,
    happened_at: datetime | None,
    detail: str | None,
    apologised: bool = False,
) -> None:
    """What a parcel's news starts besides telling the store: a delivered parcel makes its order's survey
    due; one in trouble opens a care item."""
    if status == "delivered":
        surveys.schedule(session, shop, shipment.order_id, happened_at)
        for key in (f"delivery:{shipment.shipment_id}:delayed", f"late:{shipment.shipment_id}"):
            care.resolve_key(session, shop.id, key, "delivered")  # a delay ends with the parcel
    elif status in care.DELIVERY_KINDS:
        care.open_item(
            session,
            shop.id,
            care.DELIVERY_KINDS[status],
            f"delivery:{shipment.shipment_id}:{status}",
            order_id=shipment.order_id,
            tracking_number=shipment.tracking_number,
            detail=detail,
            done="apology" if apologised else None,
        )


def _found_their_shipment(event_ids: set[int], session: Session) -> None:
    """Webhook events listed as unmatched whose news has now found its shipment count as processed."""
    if event_ids:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(event_ids), WebhookEvent.status == WebhookEvent.UNMATCHED)
            .values(status=WebhookEvent.PROCESSED, processed_at=utcnow())
        )


def record_shipment(session: Session, shop: Shop, shipment: Shipment) -> None:
    """Keep a shipment's newest state; an older update arriving late doesn't overwrite a newer one."""
    values = {
        "order_id": shipment.order_id,
        "status": shipment.status,
        "shipment_status": shipment.shipment_status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_key": tracking_key(shipment.tracking_number) if shipment.tracking_number else None,
        "tracking_url": shipment.tracking_url,
        "store_updated_at": shipment.updated_at,
    }
    session.execute(
        upsert_insert(session, ShipmentRecord)
        .values(shop_id=shop.id, shipment_id=shipment.id, **values)
        .on_conflict_do_nothing(index_elements=["shop_id", "shipment_id"])
    )
    row = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.shipment_id == shipment.id)
        .with_for_update()
    ).one()
    newer = shipment.updated_at is None or row.store_updated_at is None or shipment.updated_at >= row.store_updated_at
    if newer:
        for name, value in values.items():
            setattr(row, name, value)
    _store_knows(session, shop, row, shipment.shipment_status, shipment.updated_at)


def record_shipment_status(session: Session, shop: Shop, news: ShipmentStatus) -> None:
    """The store's own news about a shipment we know: it needn't be told, and nothing older should be."""
    row = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.shipment_id == news.shipment_id)
        .with_for_update()
    ).first()
    if row is not None:
        if news.status:
            record_store_news(session, shop, row, news.status, news.happened_at)
        _store_knows(session, shop, row, news.status, news.happened_at)


def _store_knows(
    session: Session, shop: Shop, row: ShipmentRecord, status: str | None, happened_at: datetime | None
) -> None:
    if status and is_news(status, row.tracking_progress):
        row.tracking_status = status
        row.tracking_progress = further(row.tracking_progress, status)
        follow_up(session, shop, row, status, happened_at, detail=None)
