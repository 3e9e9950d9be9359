"""Sending the surveys that are due (hourly, or ``sadakat surveys send``), and the care queue's hourly
checks: parcels late past their estimate, and the digest of new items for ``SADAKAT_CARE_EMAIL``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config import Config
from connector.db.after_delivery import CareItem, SurveyRecord
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, ShipmentRecord, Shop, utcnow
from connector.language.catalogs import N_, Words
from connector.ops.after_delivery.care import KIND_WORDS
from connector.outbox import letters, pushes, senders
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.settle.after_delivery import care
from connector.settle.after_delivery.surveys import SCORES, token

LATE_AFTER = timedelta(days=1)
"""A parcel not delivered this long after its estimate is late."""
DIGEST_WORDS = Words(
    "admin", {"subject": N_("Care queue: {n} new ({shop})"), "intro": N_("{n} new in the care queue of {shop}:")}
)
OLDEST_DELIVERY = timedelta(days=30)
"""Deliveries longer ago than the delay plus this aren't surveyed (say, when the survey is turned on)."""


@dataclass(frozen=True)
class Sent:
    """One survey sent (or passed over, with the reason)."""

    shop_id: int
    order: str
    to: str | None
    skipped: str | None = None


def send_due(
    storage: Storage, queue: Queue, config: Config, shop_id: int | None = None, now: datetime | None = None
) -> list[Sent]:
    """Send every survey that is due (in one shop, or all), at most once per order; returns what happened."""
    now = now or utcnow()
    done: list[Sent] = []
    with storage.session() as session:
        shop_ids = [shop_id] if shop_id else list(session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None))))
    for one in shop_ids:
        with storage.session() as session:
            shop = session.get(Shop, one)
            if shop is None or shop.uninstalled_at is not None or not programme_of(shop).survey.enabled:
                continue
            requested: list[int] = []
            for survey in _due(session, shop, now):
                sent, push_id = _send(session, shop, survey, config, now)
                done.append(sent)
                if push_id is not None:
                    requested.append(push_id)
        pushes.dispatch(storage, queue, [(push_id, one) for push_id in requested])
    return done


def _due(session: Session, shop: Shop, now: datetime) -> list[SurveyRecord]:
    delay = timedelta(days=programme_of(shop).survey.delay_days)
    query = (
        select(SurveyRecord)
        .where(
            SurveyRecord.shop_id == shop.id,
            SurveyRecord.status == SurveyRecord.DUE,
            SurveyRecord.delivered_at <= now - delay,
            SurveyRecord.delivered_at >= now - delay - OLDEST_DELIVERY,
        )
        .order_by(SurveyRecord.id)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _send(session: Session, shop: Shop, survey: SurveyRecord, config: Config, now: datetime) -> tuple[Sent, int | None]:
    order = session.scalars(
        select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == survey.order_id)
    ).first()
    customer = session.get(CustomerRecord, order.customer_id) if order and order.customer_id else None
    label = (order.name if order and order.name else None) or survey.order_id
    reason = None
    if order is None:
        reason = "the store never told us about the order"
    elif order.cancelled or order.fully_refunded:
        reason = "the order was cancelled or refunded in full"
    elif customer is None or not customer.email:
        reason = "no e-mail address"
    elif senders.unsubscribed(session, shop.id, customer.email):
        reason = "the customer unsubscribed"
    elif not programme_of(shop).emails.survey:
        reason = "the shop turned Sadakat's survey e-mail off"
    if reason is not None or customer is None or not customer.email:
        survey.status, survey.skip_reason = SurveyRecord.SKIPPED, reason
        return Sent(shop.id, label, None, reason), None
    settings = programme_of(shop)
    links = [f"{config.public_url}/surveys/{survey.id}/{score}?t={token(shop, survey.id, score)}" for score in SCORES]
    sender = senders.sender_for(session, shop, config, customer.email, marketing=True)
    assert sender is not None
    letter = letters.survey(
        sender,
        to=customer.email,
        first_name=customer.first_name,
        order=label,
        question=settings.survey.question,
        points=settings.survey.points,
        links=links,
    )
    push_id = outbox.request(
        session, shop.id, pushes.EMAIL, f"survey:{survey.order_id}", customer.email, letter.payload()
    )
    survey.status, survey.sent_at = SurveyRecord.SENT, now
    return Sent(shop.id, label, customer.email), push_id


def flag_late_parcels(storage: Storage, now: datetime | None = None) -> int:
    """Open a care item for each parcel still on its way a day past its estimated delivery. Returns how many."""
    now = now or utcnow()
    opened = 0
    with storage.session() as session:
        late = session.scalars(
            select(ShipmentRecord).where(
                ShipmentRecord.estimated_delivery_at < now - LATE_AFTER,
                ShipmentRecord.tracking_progress.not_in(("delivered", "returned"))
                | ShipmentRecord.tracking_progress.is_(None),
            )
        ).all()
        for shipment in late:
            care.open_item(
                session,
                shipment.shop_id,
                "delivery_late",
                f"late:{shipment.shipment_id}",
                order_id=shipment.order_id,
                tracking_number=shipment.tracking_number,
                detail=f"expected {shipment.estimated_delivery_at:%Y-%m-%d}"
                if shipment.estimated_delivery_at
                else None,
            )
            opened += 1
    return opened


def care_digest(storage: Storage, queue: Queue, config: Config) -> int:
    """E-mail ``SADAKAT_CARE_EMAIL`` the care items opened since the last digest, once each. Returns how many."""
    if not config.care_email:
        return 0
    requested: list[tuple[int, int]] = []
    listed = 0
    with storage.session() as session:
        items = session.scalars(
            select(CareItem)
            .where(CareItem.digest_sent_at.is_(None), CareItem.status == CareItem.OPEN)
            .order_by(CareItem.id)
        ).all()
        by_shop: dict[int, list[CareItem]] = {}
        for item in items:
            by_shop.setdefault(item.shop_id, []).append(item)
        for shop_id, shop_items in by_shop.items():
            shop = session.get(Shop, shop_id)
            if shop is None:
                continue
            locale = programme_of(shop).locale
            words, kinds = DIGEST_WORDS.get(locale, DIGEST_WORDS["en"]), KIND_WORDS.get(locale, KIND_WORDS["en"])
            lines = [words["intro"].format(n=len(shop_items), shop=shop.domain), ""]
            for i in shop_items:
                about = " ".join(str(part) for part in (i.order_id or i.tracking_number, i.detail) if part)
                lines.append(f"- {kinds[i.kind]}: {about}".rstrip(": "))
            lines += ["", f"{config.public_url}/admin/shops/{shop_id}/care"]
            first, last = shop_items[0].id, shop_items[-1].id
            push_id = outbox.request(
                session,
                shop_id,
                pushes.EMAIL,
                f"care-digest:{first}-{last}",
                config.care_email,
                {
                    "to": config.care_email,
                    "subject": words["subject"].format(n=len(shop_items), shop=shop.domain),
                    "body": "\n".join(lines),
                },
            )
            for item in shop_items:
                item.digest_sent_at = utcnow()
            if push_id is not None:
                requested.append((push_id, shop_id))
            listed += len(shop_items)
    pushes.dispatch(storage, queue, requested)
    return listed
