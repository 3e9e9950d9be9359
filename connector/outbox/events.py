"""The programme's events, one vocabulary for every tool the merchant connects: each recorded once per key (a
replay records nothing new), with the member as they are now, and a delivery asked of each destination that
wants it (a URL signed as Standard Webhooks, Klaviyo, a Shopify Flow trigger) through the outbox.

Settling's front door derives the points and tier events from what the ledger saw; the nightly jobs, the
care queue, surveys, referrals and the segment roll-up emit theirs where they happen. The deliveries asked
while a session is open are kept in it (``owed``) for whoever commits it to queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.merchants import EventDestination, ProgrammeEvent
from connector.db.storage import insert_once
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.outbox import requests as outbox
from connector.programme import programme_of

TYPES: dict[str, str] = {
    "points.earned": "A member earned points (an order, a survey, a referral, a sign-up, an action, a gift).",
    "points.reversed": "Points an order earned were taken back (a refund or cancellation).",
    "points.redeemed": "A member spent points on a reward.",
    "points.returned": "Spent points came back (a code the store refused, a refunded order's code).",
    "points.adjusted": "Someone at the shop added or took away points by hand.",
    "points.expiring": "A member's points expire soon, unless they earn or spend.",
    "points.expired": "A member's points expired.",
    "tier.changed": "A member moved to another tier (their first tier too, from none).",
    "reward.issued": "A member was given a reward: a discount code or store credit.",
    "referral.completed": "A friend's order counted, and the member who referred them was rewarded.",
    "survey.answered": "A customer answered the after-delivery survey.",
    "segment.changed": "A member moved to another segment (champions, at risk, ...).",
    "care.opened": "Something needs a person: a delivery gone wrong, an unhappy customer, an order without points.",
}
TEST = "sadakat.test"
"""The type of the test event a merchant sends to check an endpoint."""

WEBHOOK = "webhook"
KLAVIYO = "klaviyo"
FLOW = "flow"
DELIVERY = "event_delivery"
"""Push kind: one event (or a member's profile) to a URL or Klaviyo."""
FLOW_TRIGGER = "flow_trigger"
"""Push kind: one event to Shopify Flow, through the store's Admin API."""

KLAVIYO_METRICS = {
    "points.earned": "Loyalty Points Earned",
    "reward.issued": "Loyalty Reward Issued",
    "tier.changed": "Loyalty Tier Changed",
    "points.expiring": "Loyalty Points Expiring",
    "referral.completed": "Loyalty Referral Completed",
    "survey.answered": "Loyalty Survey Answered",
}
FLOW_TRIGGERS = {
    "tier.changed": "loyalty-tier-changed",
    "points.expiring": "loyalty-points-expiring",
    "reward.issued": "loyalty-reward-issued",
    "segment.changed": "loyalty-segment-changed",
    "survey.answered": "nps-detractor-answered",
}
"""Event type → the handle of the Flow trigger it fires (a survey only when the answer is a detractor's)."""
DETRACTOR_MAX = 6
_OWED = "sadakat.events.owed"
_DESTINATIONS = "sadakat.events.destinations"


@dataclass(frozen=True)
class NewEvent:
    """An event to record: its type, a key unique in the shop (so a repeat is nothing new), the member it is
    about (if any), what caused it, and what else its type carries."""

    type: str
    key: str
    customer_id: int | None
    cause: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown event type {self.type!r}")


def owed(session: Session) -> list[tuple[int, int]]:
    """The deliveries asked in ``session`` and not handed out yet, (push id, shop id) each; handed out once."""
    asked: list[tuple[int, int]] = session.info.pop(_OWED, [])
    return asked


def customer_view(customer: CustomerRecord | Any, locale: str) -> dict[str, Any]:
    """The member as events show them: the store's id, e-mail, name and language."""
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part) or None
    return {
        "id": customer.platform_id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "name": name,
        "locale": locale,
    }


def emit(session: Session, shop: Shop, events: list[NewEvent]) -> list[tuple[int, int]]:
    """Record ``events`` (those whose key the shop has not seen) and ask each destination for its deliveries.
    Returns the deliveries asked, (push id, shop id) each; they are also kept as ``owed``."""
    if not events:
        return []
    session.flush()
    members = _members(session, {event.customer_id for event in events if event.customer_id is not None})
    locale = programme_of(shop).locale
    now = utcnow()
    rows = []
    for event in dict((event.key, event) for event in events).values():
        data: dict[str, Any] = {"shop": {"id": shop.id, "domain": shop.domain}}
        member = members.get(event.customer_id) if event.customer_id is not None else None
        if member is not None:
            data["customer"] = customer_view(member, locale)
            data["balance"] = int(member.points)
        data |= event.details
        data["cause"] = event.cause
        rows.append({"shop_id": shop.id, "key": event.key[:255], "type": event.type, "customer_id": event.customer_id,
                     "data": data, "created_at": now})  # fmt: skip
    statement = insert_once(
        session.get_bind().dialect.name,
        ProgrammeEvent.__table__,
        ("shop_id", "key", "type", "customer_id", "data", "created_at"),
        ("shop_id", "key"),
        ("id", "key"),
    )
    recorded = {key: event_id for event_id, key in session.connection().execute(statement, rows)}
    fresh = [(recorded[row["key"]], row) for row in rows if row["key"] in recorded]
    asked = _deliveries(session, shop, sorted(fresh, key=lambda pair: pair[0]), members)
    session.info.setdefault(_OWED, []).extend(asked)
    return asked


def _members(session: Session, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            CustomerRecord.id,
            CustomerRecord.key,
            CustomerRecord.platform_id,
            CustomerRecord.email,
            CustomerRecord.first_name,
            CustomerRecord.last_name,
            CustomerRecord.points,
        ).where(CustomerRecord.id.in_(ids))
    ).all()
    return {row.id: row for row in rows}


def destinations(session: Session, shop_id: int) -> list[EventDestination]:
    """The shop's destinations that are on, read once per session."""
    cache: dict[int, list[EventDestination]] = session.info.setdefault(_DESTINATIONS, {})
    if shop_id not in cache:
        cache[shop_id] = list(
            session.scalars(
                select(EventDestination)
                .where(EventDestination.shop_id == shop_id, EventDestination.enabled.is_(True))
                .order_by(EventDestination.id)
            )
        )
    return cache[shop_id]


def forget_destinations(session: Session) -> None:
    """Read the destinations afresh next time (one was added, changed or removed)."""
    session.info.pop(_DESTINATIONS, None)


def wants(destination: EventDestination, type_: str, data: dict[str, Any]) -> bool:
    """Whether ``destination`` is sent events of ``type_`` (this one, ``data``)."""
    if destination.kind == KLAVIYO:
        return type_ in KLAVIYO_METRICS
    if destination.kind == FLOW:
        handle = FLOW_TRIGGERS.get(type_)
        if handle is None or handle not in (destination.events or []):
            return False
        return type_ != "survey.answered" or int(data.get("score", 10)) <= DETRACTOR_MAX
    return not destination.events or type_ in destination.events


def target(destination_id: int, member_key: str | None) -> str:
    """The outbox target of a destination's deliveries about one member: they go in order."""
    return f"destination:{destination_id}:{member_key or 'shop'}"[:255]


def _deliveries(
    session: Session, shop: Shop, fresh: list[tuple[int, dict[str, Any]]], members: dict[int, Any]
) -> list[tuple[int, int]]:
    if not fresh:
        return []
    asked: list[tuple[int, int]] = []
    for destination in destinations(session, shop.id):
        requests: list[tuple[str, str, dict[str, Any]]] = []
        profiles: set[int] = set()
        for event_id, row in fresh:
            member = members.get(row["customer_id"])
            if destination.kind == KLAVIYO and member is not None:
                profiles.add(member.id)  # every move of a member keeps their Klaviyo profile current
            if not wants(destination, row["type"], row["data"]):
                continue
            member_key = member.key if member is not None else None
            payload = {"destination": destination.id, "event": event_id}
            requests.append((f"event:{destination.id}:{event_id}", target(destination.id, member_key), payload))
        kind = FLOW_TRIGGER if destination.kind == FLOW else DELIVERY
        asked += [(push, shop.id) for push in outbox.request_many(session, shop.id, kind, requests)]
        for member_id in sorted(profiles):
            if (push := profile_refresh(session, shop.id, destination, members[member_id])) is not None:
                asked.append((push, shop.id))
    return asked


def profile_refresh(session: Session, shop_id: int, destination: EventDestination, member: Any) -> int | None:
    """Ask Klaviyo for the member's profile as it is when sent (a repeat carries the latest state)."""
    return outbox.request_refresh(
        session,
        shop_id,
        DELIVERY,
        f"profile:{destination.id}:{member.id}",
        target(destination.id, member.key),
        {"destination": destination.id, "profile": member.id},
    )
