"""What Sadakat writes into stores: discount codes, tracking news and member syncs, as outbox pushes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters import theme_programme
from connector.db.customers import find_customer
from connector.db.storage import Storage, upsert_insert
from connector.db.tables import CustomerRecord, IssuedCode, Push, Shop, utcnow
from connector.errors import Invalid
from connector.inputs import InputError, decimal_number
from connector.model import MAX_AMOUNT, TrackingPush
from connector.outbox import requests as outbox
from connector.programme import programme_of
from connector.queue.connection import enqueue_push, job_in_flight

log = logging.getLogger(__name__)
DISCOUNT_CODE = "discount_code"
TRACKING = "tracking"
CUSTOMER_SYNC = "customer_sync"
REGISTER_WEBHOOKS = "register_webhooks"
EMAIL = "email"
CODE_NOTE = "code_note"
DISABLE_CODE = "disable_code"
PROGRAMME_METAFIELD = "programme_metafield"
DISCOUNT_KINDS = ("fixed_amount", "percentage", "free_shipping")
MAX_FIXED_AMOUNT = Decimal(100_000)


class PushRequestError(Invalid):
    """A push can't be requested as asked; the message says why."""


CODE_WHYS = {"redeem": "redemption", "gift": "gift", "manual": "goodwill", "referral": "welcome"}


def code_why(reason_key: str) -> str:
    """Why a code was given, from its reason key: ``redemption`` (points spent), ``gift`` (a programme rule),
    ``goodwill`` (given by the shop, e.g. from the care queue) or ``welcome`` (a referred friend's)."""
    return CODE_WHYS.get(reason_key.split(":", 1)[0], "gift")


def derive_code(secret: str, reason_key: str) -> str:
    """The code for a reason, the same on every retry, and unguessable without the shop's code secret."""
    digest = hmac.new(secret.encode(), reason_key.encode(), hashlib.sha256).digest()
    return "SDK-" + base64.b32encode(digest).decode()[:10]


def issue_discount_code(
    session: Session,
    shop: Shop,
    customer: CustomerRecord,
    *,
    kind: str,
    value: Any,
    ends_at: datetime | None,
    reason_key: str,
    title: str,
    redemption: dict[str, Any] | None = None,
    order_id: str | None = None,
) -> tuple[int | None, str]:
    """Request a single-use code for ``customer``. The same ``reason_key`` always means the same code and
    at most one push. Returns (push id or None for a repeat, code)."""
    amount = code_value(kind, value)
    if not customer.platform_id and not customer.email:
        raise PushRequestError("the customer has neither a store account nor an e-mail to bind the code to")
    if not shop.code_secret:
        raise PushRequestError(f"shop {shop.id} has no code secret; run `sadakat migrate`")
    code = derive_code(shop.code_secret, reason_key)
    payload = {
        "code": code,
        "kind": kind,
        "value": str(amount),
        "title": title[:255],
        "customer_id": customer.platform_id,
        "email": customer.email,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "reason": reason_key,
    }
    if redemption:
        payload["redemption"] = redemption
    if order_id:
        payload["order_id"] = order_id
    push_id = outbox.request(session, shop.id, DISCOUNT_CODE, f"code:{reason_key}", customer.key, payload)
    if push_id is not None:
        why = code_why(reason_key)
        log.info("code issued: shop %s customer %s %s %s (%s)", shop.id, customer.id, kind, amount, why)
    _remember_code(session, shop.id, customer.id, payload, amount, ends_at, redemption)
    return push_id, code


def code_value(kind: str, value: Any) -> Decimal:
    """What a code of ``kind`` is worth, checked (PushRequestError says what is wrong); 0 for free shipping."""
    if kind not in DISCOUNT_KINDS:
        raise PushRequestError(f"kind must be one of {', '.join(DISCOUNT_KINDS)}, got {kind!r}")
    try:
        amount = decimal_number(value if value is not None else 0, "value", low=Decimal(0), high=MAX_AMOUNT)
    except InputError as exc:
        raise PushRequestError(str(exc)) from None
    if kind == "percentage" and not (0 < amount <= 100):
        raise PushRequestError("a percentage must be more than 0 and at most 100")
    if kind == "fixed_amount" and not (0 < amount <= MAX_FIXED_AMOUNT):
        raise PushRequestError(f"an amount must be more than 0 and at most {MAX_FIXED_AMOUNT}")
    return Decimal(0) if kind == "free_shipping" else amount


def _remember_code(
    session: Session,
    shop_id: int,
    customer_id: int,
    payload: dict[str, Any],
    amount: Decimal,
    ends_at: datetime | None,
    redemption: dict[str, Any] | None,
) -> None:
    """Keep the code we gave and why, so an order that uses it can be told apart (and give points back)."""
    session.execute(
        upsert_insert(session, IssuedCode)
        .values(
            shop_id=shop_id,
            code=payload["code"],
            customer_id=customer_id,
            reason=payload["reason"][:255],
            kind=payload["kind"],
            value=amount,
            points_paid=redemption["points"] if redemption else None,
            ends_at=ends_at,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "code"])
    )


@dataclass(frozen=True)
class Issued:
    """A code given to a customer: its push (None if the same key asked before) and the code."""

    code: str
    push_id: int | None
    shop_id: int

    @property
    def repeated(self) -> bool:
        """Whether this key had already asked for the code."""
        return self.push_id is None

    @property
    def pushes(self) -> list[tuple[int, int]]:
        """The (push id, shop id) to queue."""
        return [] if self.push_id is None else [(self.push_id, self.shop_id)]


def issue_code_for(
    storage: Storage, shop_id: int, ident: str, *, kind: str, value: Any, days: Any, title: str, key: str | None
) -> Issued:
    """Give the member ``ident`` (platform id or e-mail) of a shop a code valid for ``days`` days.
    LookupError for an unknown shop or member; PushRequestError for bad values."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        raise PushRequestError(f"days must be a whole number from 1 to 3650, got {days!r}")
    if key is not None and (not isinstance(key, str) or not key or len(key) > 200 or not key.isprintable()):
        raise PushRequestError("key must be a short printable text")
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        customer = find_customer(session, shop_id, ident)
        if customer is None:
            raise LookupError(f"no customer {ident!r} in shop {shop_id}")
        push_id, code = issue_discount_code(
            session,
            shop,
            customer,
            kind=kind,
            value=value,
            ends_at=utcnow() + timedelta(days=days),
            reason_key=f"manual:{key or uuid.uuid4().hex}",
            title=str(title),
        )
    return Issued(code=code, push_id=push_id, shop_id=shop_id)


def recent(session: Session, shop_id: int, status: str | None, limit: int = 200, offset: int = 0) -> list[Push]:
    """A shop's pushes, newest first, optionally of one status; ``offset`` skips the newest ones."""
    query = select(Push).where(Push.shop_id == shop_id)
    if status:
        query = query.where(Push.status == status)
    return list(session.scalars(query.order_by(Push.id.desc()).offset(offset).limit(limit)))


def count(session: Session, shop_id: int, status: str | None) -> int:
    """How many pushes ``recent`` could list."""
    query = select(func.count()).select_from(Push).where(Push.shop_id == shop_id)
    if status:
        query = query.where(Push.status == status)
    return int(session.scalar(query) or 0)


def _failed_push(session: Session, shop_id: int, push_id: int) -> Push:
    push = session.get(Push, push_id, with_for_update=True) if 0 < push_id < 2**62 else None
    if push is None or push.shop_id != shop_id:
        raise LookupError(f"no push {push_id} in shop {shop_id}")
    if push.status != Push.FAILED:
        raise PushRequestError(f"push {push_id} is {push.status}, not failed")
    return push


def retry_refusal(push: Push) -> str | None:
    """Why a failed push must not be tried again, or None. A redemption's code failed for good only
    together with giving its points back: retrying it would hand out the code and keep the points."""
    if push.kind == DISCOUNT_CODE and push.payload.get("redemption"):
        return (
            f"push {push.id} is a redemption whose points were given back when the store refused its code; "
            "the customer can redeem again"
        )
    return None


def retry_failed(storage: Storage, shop_id: int, push_id: int) -> None:
    """Make a failed push pending again with fresh attempts (PushRequestError if it must not be)."""
    with storage.session() as session:
        push = _failed_push(session, shop_id, push_id)
        refusal = retry_refusal(push)
        if refusal:
            raise PushRequestError(refusal)
        push.status = Push.PENDING
        push.attempts = 0
        push.last_error = None


def discard_failed(storage: Storage, shop_id: int, push_id: int) -> None:
    """Give up on a failed push for good (it stays listed, cancelled, with its last error)."""
    with storage.session() as session:
        push = _failed_push(session, shop_id, push_id)
        push.status = Push.CANCELLED
        push.last_error = f"discarded by an admin; last error: {push.last_error or 'none'}"[:2000]


def request_customer_sync(session: Session, shop: Shop, customer: CustomerRecord) -> int | None:
    """Ask for the member's standing to be written into the store (guests have no record to write to)."""
    if not customer.platform_id or not programme_of(shop).sync_customers:
        return None
    return outbox.request_refresh(
        session, shop.id, CUSTOMER_SYNC, f"customer:{customer.id}", customer.key, {"customer": customer.id}
    )


def request_programme_publish(session: Session, shop: Shop) -> int | None:
    """Ask for the programme to be written where the shop's theme reads it (the latest state is written, so a
    burst of changes is one call)."""
    if theme_programme(shop.platform) is None:
        return None
    return outbox.request_refresh(session, shop.id, PROGRAMME_METAFIELD, f"programme:{shop.id}", "shop", {})


def tracking_payload(push: TrackingPush) -> dict[str, Any]:
    """A TrackingPush as the outbox stores it."""
    return {
        "order_id": push.order_id,
        "shipment_id": push.shipment_id,
        "tracking_number": push.tracking_number,
        "carrier": push.carrier,
        "tracking_url": push.tracking_url,
        "status": push.status,
        "message": push.message,
        "details_changed": push.details_changed,
        "happened_at": push.happened_at.isoformat() if push.happened_at else None,
        "location": push.location,
        "estimated_delivery_at": push.estimated_delivery_at.isoformat() if push.estimated_delivery_at else None,
    }


def dispatch(storage: Storage, queue: Queue, pushes: list[tuple[int, int]], delay: float | None = None) -> None:
    """Queue jobs for committed pushes, (push id, shop id) each, and record their job ids in one write. If
    Redis is down they stay pending and the sweeper queues them later."""
    queued: list[tuple[int, str]] = []
    for push_id, shop_id in pushes:
        try:
            queued.append((push_id, enqueue_push(queue, push_id, shop_id, delay=delay)))
        except RedisError:
            continue
    outbox.set_jobs(storage, queued)


def sweep(storage: Storage, queue: Queue, grace_seconds: int) -> int:
    """Queue every stranded push whose job is gone. Returns how many."""
    queued = 0
    for push_id, shop_id, job_id in outbox.stranded(storage, grace_seconds):
        if job_id and job_in_flight(queue, job_id):
            continue
        dispatch(storage, queue, [(push_id, shop_id)])
        queued += 1
    return queued
