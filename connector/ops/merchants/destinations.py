"""Where a shop's events go, as its people set it up: URLs it subscribed (each with a signing secret shown
once), its Klaviyo account (the key checked with Klaviyo, kept encrypted, never shown again), and the Flow
triggers its workflows use (Shopify tells us); each endpoint's delivery log, "send again" and a test event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters import event_destination
from adapters.destination_base import DestinationAccess, DestinationRefused
from adapters.standard_webhooks import new_secret
from connector.db.merchants import EventDestination, ProgrammeEvent
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Push, Shop, utcnow
from connector.errors import Invalid, NotFound
from connector.ops.merchants import audit
from connector.outbox import events
from connector.outbox import requests as outbox

MAX_URL = 2048
MAX_ENDPOINTS = 20
LOG_LENGTH = 100
KLAVIYO_URL = "https://a.klaviyo.com"


class DestinationError(Invalid):
    """An endpoint or key that can't be saved as given; the message names the field."""


@dataclass(frozen=True)
class Created:
    """A new endpoint: its number and its signing secret (shown this once)."""

    id: int
    secret: str


def _events(given: Any) -> list[str] | None:
    if given is None:
        return None
    if not isinstance(given, list) or not all(isinstance(t, str) for t in given):
        raise DestinationError('events must be a list of event types, e.g. ["points.earned", "tier.changed"]')
    unknown = [t for t in given if t not in events.TYPES]
    if unknown:
        raise DestinationError(f"events: unknown type {unknown[0][:40]!r}; known: {', '.join(events.TYPES)}")
    return sorted(set(given)) or None


def add_webhook(storage: Storage, shop_id: int, url: Any, types: Any, by: str, *, allow_private: bool,
                source: str | None = None) -> Created:  # fmt: skip
    """Subscribe ``url`` to ``types`` (None: every type). DestinationError says what is wrong."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL or not url.isprintable():
        raise DestinationError(f"url is required: an https:// address of at most {MAX_URL} characters")
    url = url.strip()
    chosen = _events(types)
    try:
        event_destination(events.WEBHOOK).check(DestinationAccess(url, "", allow_private))
    except DestinationRefused as exc:
        raise DestinationError(f"url: {exc}") from None
    secret = new_secret()
    with storage.session() as session:
        _shop(session, shop_id)
        count = len(_of_kind(session, shop_id, events.WEBHOOK))
        if count >= MAX_ENDPOINTS:
            raise DestinationError(f"a shop has at most {MAX_ENDPOINTS} endpoints: remove one first")
        row = EventDestination(shop_id=shop_id, kind=events.WEBHOOK, url=url, events=chosen, secret=secret,
                               enabled=True, created_by=by[:120], created_at=utcnow())  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(session, shop_id, by, source, "webhook.added", url[:255], None, {"events": chosen})
        return Created(row.id, secret)


def _shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"no shop {shop_id}")
    return shop


def _of_kind(session: Session, shop_id: int, kind: str) -> list[EventDestination]:
    return list(
        session.scalars(
            select(EventDestination)
            .where(EventDestination.shop_id == shop_id, EventDestination.kind == kind)
            .order_by(EventDestination.id)
        )
    )


def _view(row: EventDestination) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "enabled": row.enabled,
        "failing_since": row.failing_since.isoformat() if row.failing_since else None,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }


def webhooks(storage: Storage, shop_id: int) -> list[dict[str, Any]]:
    """The shop's endpoints (never their secrets)."""
    with storage.session(read_only=True) as session:
        _shop(session, shop_id)
        return [_view(row) for row in _of_kind(session, shop_id, events.WEBHOOK)]


def summary(session: Session, shop_id: int) -> dict[str, Any]:
    """How many endpoints the shop has (and how many are on), and whether Klaviyo is on: for the shop page."""
    rows = session.execute(
        select(EventDestination.kind, EventDestination.enabled).where(EventDestination.shop_id == shop_id)
    ).all()
    webhooks_on = [enabled for kind, enabled in rows if kind == events.WEBHOOK]
    return {"endpoints": len(webhooks_on), "endpoints_off": webhooks_on.count(False),
            "klaviyo": any(enabled for kind, enabled in rows if kind == events.KLAVIYO)}  # fmt: skip


def _endpoint(session: Session, shop_id: int, endpoint_id: int) -> EventDestination:
    row = session.get(EventDestination, endpoint_id)
    if row is None or row.shop_id != shop_id or row.kind != events.WEBHOOK:
        raise NotFound(f"the shop has no endpoint {endpoint_id}")
    return row


def remove_webhook(storage: Storage, shop_id: int, endpoint_id: int, by: str, source: str | None = None) -> None:
    """Unsubscribe an endpoint; what was still on its way to it is cancelled."""
    with storage.session() as session:
        row = _endpoint(session, shop_id, endpoint_id)
        session.execute(
            update(Push)
            .where(Push.shop_id == shop_id, Push.target.like(f"destination:{row.id}:%"))
            .where(Push.status.in_((Push.PENDING, Push.RUNNING)))
            .values(status=Push.CANCELLED, last_error="the endpoint was removed")
        )
        audit.record(session, shop_id, by, source, "webhook.removed", row.url[:255], {"events": row.events}, None)
        session.delete(row)


def delivery_log(storage: Storage, shop_id: int, endpoint_id: int) -> list[dict[str, Any]]:
    """The endpoint's last deliveries, newest first: the event, status, tries and the last error."""
    with storage.session(read_only=True) as session:
        row = _endpoint(session, shop_id, endpoint_id)
        sent = session.scalars(
            select(Push)
            .where(Push.shop_id == shop_id, Push.target.like(f"destination:{row.id}:%"))
            .order_by(Push.id.desc())
            .limit(LOG_LENGTH)
        ).all()
        ids = {int(push.payload.get("event") or 0) for push in sent}
        types = dict(
            session.execute(select(ProgrammeEvent.id, ProgrammeEvent.type).where(ProgrammeEvent.id.in_(ids)))
            .tuples()
            .all()
        )
        return [
            {"id": push.id, "event": push.payload.get("event"), "type": types.get(int(push.payload.get("event") or 0)),
             "status": push.status, "attempts": push.attempts, "error": push.last_error,
             "created_at": push.created_at.isoformat(), "done_at": push.done_at.isoformat() if push.done_at else None}
            for push in sent
        ]  # fmt: skip


def send_again(storage: Storage, shop_id: int, endpoint_id: int, delivery_id: int) -> list[tuple[int, int]]:
    """Deliver an event to the endpoint once more (the same ``webhook-id``). Returns the push to queue."""
    with storage.session() as session:
        row = _endpoint(session, shop_id, endpoint_id)
        push = session.get(Push, delivery_id)
        if push is None or push.shop_id != shop_id or not push.target.startswith(f"destination:{row.id}:"):
            raise NotFound(f"the endpoint has no delivery {delivery_id}")
        if "event" not in push.payload:
            raise DestinationError("only an event's delivery can be sent again")
        key = f"again:{push.id}:{utcnow().timestamp()}"
        again = outbox.request(session, shop_id, events.DELIVERY, key, push.target, dict(push.payload))
        return [(again, shop_id)] if again else []


def send_test(storage: Storage, shop_id: int, endpoint_id: int) -> list[tuple[int, int]]:
    """Send the endpoint a test event (type ``sadakat.test``). Returns the push to queue."""
    with storage.session() as session:
        row = _endpoint(session, shop_id, endpoint_id)
        shop = _shop(session, shop_id)
        now = utcnow()
        data = {"shop": {"id": shop.id, "domain": shop.domain}, "message": "A test event from Sadakat: it works."}
        test = ProgrammeEvent(shop_id=shop_id, key=f"test:{row.id}:{now.timestamp()}", type=events.TEST, data=data,
                              created_at=now)  # fmt: skip
        session.add(test)
        session.flush()
        payload = {"destination": row.id, "event": test.id}
        push = outbox.request(
            session, shop_id, events.DELIVERY, f"test:{test.id}", events.target(row.id, None), payload
        )
        return [(push, shop_id)] if push else []


def klaviyo(storage: Storage, shop_id: int) -> dict[str, Any]:
    """Whether the shop sends to Klaviyo (never the key)."""
    with storage.session(read_only=True) as session:
        _shop(session, shop_id)
        found = _of_kind(session, shop_id, events.KLAVIYO)
        row = found[0] if found else None
        return {"enabled": bool(row and row.enabled), "connected": row is not None,
                "disabled_reason": row.disabled_reason if row else None}  # fmt: skip


def set_klaviyo(
    storage: Storage, shop_id: int, enabled: Any, key: Any, by: str, source: str | None = None
) -> dict[str, Any]:
    """Turn Klaviyo on (with a private API key Klaviyo accepts, or the one saved before) or off."""
    if not isinstance(enabled, bool):
        raise DestinationError("enabled must be true or false")
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > 200 or not key.isprintable()):
        raise DestinationError("private_api_key must be the Klaviyo private API key (pk_...)")
    if key is not None:
        try:
            event_destination(events.KLAVIYO).check(DestinationAccess(KLAVIYO_URL, key.strip()))
        except DestinationRefused as exc:
            raise DestinationError(f"private_api_key: {exc}") from None
    with storage.session() as session:
        _shop(session, shop_id)
        found = _of_kind(session, shop_id, events.KLAVIYO)
        row = found[0] if found else None
        if row is None:
            if enabled and key is None:
                raise DestinationError("private_api_key is required to turn Klaviyo on")
            row = EventDestination(shop_id=shop_id, kind=events.KLAVIYO, url=KLAVIYO_URL, created_by=by[:120],
                                   created_at=utcnow())  # fmt: skip
            session.add(row)
        if key is not None:
            row.secret = key.strip()
        row.enabled, row.failing_since, row.disabled_reason = enabled, None, None
        audit.record(
            session, shop_id, by, source, "klaviyo", None, None, {"enabled": enabled, "key changed": key is not None}
        )
    return klaviyo(storage, shop_id)


def flow_trigger_used(storage: Storage, platform: str, domain: str, handle: str, enabled: bool) -> bool:
    """Note whether the shop's Flow workflows use the trigger ``handle``. False for a shop we don't know."""
    if handle not in events.FLOW_TRIGGERS.values():
        return True  # a trigger of ours this version doesn't fire: nothing to remember
    with storage.session() as session:
        shop = session.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))
        if shop is None:
            return False
        found = _of_kind(session, shop.id, events.FLOW)
        row = found[0] if found else None
        if row is None:
            row = EventDestination(shop_id=shop.id, kind=events.FLOW, url="flow", events=[], enabled=True,
                                   created_by="Shopify Flow", created_at=utcnow())  # fmt: skip
            session.add(row)
        used = set(row.events or [])
        row.events = sorted(used | {handle} if enabled else used - {handle})
        return True


def member_by_store_id(storage: Storage, platform: str, domain: str, customer_id: str) -> tuple[int, int]:
    """The shop's id whose store is at ``domain``; NotFound says whether the shop or the customer is unknown.
    Returns (shop id, member id)."""
    with storage.session(read_only=True) as session:
        shop_id = session.scalar(
            select(Shop.id).where(Shop.platform == platform, Shop.domain == domain, Shop.uninstalled_at.is_(None))
        )
        if shop_id is None:
            raise NotFound("the shop has not installed Sadakat")
        member = session.scalar(
            select(CustomerRecord.id).where(
                CustomerRecord.shop_id == shop_id, CustomerRecord.platform_id == customer_id
            )
        )
        if member is None:
            raise NotFound("the customer is not a member of the shop's loyalty programme yet")
        return int(shop_id), int(member)
