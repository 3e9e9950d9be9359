"""What happens when a store uninstalls Sadakat, or asks for a customer's or its own data to be erased
or exported (Shopify's mandatory privacy webhooks)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from connector.db import merchants  # noqa: F401  (its tables are the shop's too: erased with it)
from connector.db.after_delivery import CareItem, SurveyRecord, Unsubscribe
from connector.db.columns import Base
from connector.db.merchants import ProgrammeEvent
from connector.db.storage import Storage
from connector.db.tables import (
    CustomerRecord,
    DataExport,
    LedgerEntry,
    OrderRecord,
    Push,
    Shop,
    WebhookEvent,
    utcnow,
)
from connector.model import Lifecycle
from connector.settle import door

REDACTED_BODY = b'{"redacted": true}'
ERASE_CHUNK = 20_000


def uninstall(session: Session, shop: Shop) -> None:
    """Mark the shop uninstalled, forget its credentials and cancel what it was owed. Its programme and
    ledger stay, so a reinstall picks up where it left off; ``shop/redact`` erases them."""
    shop.uninstalled_at = utcnow()
    shop.credentials, shop.refresh_token = {}, None
    shop.credentials_expire_at = shop.refresh_token_expires_at = None
    session.execute(
        update(Push)
        .where(Push.shop_id == shop.id, Push.status.in_((Push.PENDING, Push.RUNNING)))
        .values(status=Push.CANCELLED, last_error="the store uninstalled Sadakat")
    )


def matching_customers(session: Session, shop_id: int, request: Lifecycle) -> list[CustomerRecord]:
    """The member records a privacy request is about: by platform id, or by e-mail (guests); each found
    through its own index."""
    found: dict[int, CustomerRecord] = {}
    for column, value in ((CustomerRecord.platform_id, request.customer_id), (CustomerRecord.email, request.email)):
        if value:
            query = select(CustomerRecord).where(CustomerRecord.shop_id == shop_id, column == value)
            found |= {customer.id: customer for customer in session.scalars(query)}
    return [found[customer_id] for customer_id in sorted(found)]


@dataclass(frozen=True)
class NamedBodies:
    """The stored webhook events found, before a redaction's transaction, to hold the customer's id or
    e-mail (``ids``), and the newest event that search could see (``up_to``): the transaction blanks
    those by id and searches only the events after it, so it doesn't hold SQLite's write lock while every
    body of the shop is read."""

    ids: tuple[int, ...]
    up_to: int


def find_named_bodies(storage: Storage, shop_id: int, request: Lifecycle) -> NamedBodies:
    """Search the shop's stored webhook bodies for the customer a redaction is about, in a read-only
    transaction (no lock)."""
    with storage.session(read_only=True) as session:
        up_to = session.scalar(select(func.max(WebhookEvent.id))) or 0
        needles = _needles(request, matching_customers(session, shop_id, request))
        if not needles:
            return NamedBodies((), up_to)
        ids = session.scalars(
            select(WebhookEvent.id).where(
                WebhookEvent.shop_id == shop_id, WebhookEvent.id <= up_to, _named(needles, storage.dialect)
            )
        )
        return NamedBodies(tuple(ids), up_to)


def redact_customer(session: Session, shop: Shop, request: Lifecycle, found: NamedBodies | None = None) -> int:
    """Erase a customer's personal data: their record becomes anonymous (its points and ledger stay, for
    the books), their e-mail leaves pushes, and raw webhook bodies that name them are blanked (those in
    ``found``, and any stored after it; every body when not given). Returns how many records were
    anonymised."""
    customers = matching_customers(session, shop.id, request)
    needles = _needles(request, customers)
    for customer in customers:
        anonymous = "redacted:" + hashlib.sha256(f"{shop.id}:{customer.key}".encode()).hexdigest()[:24]
        session.execute(
            update(Push)
            .where(Push.shop_id == shop.id, Push.target == customer.key)
            .values(target=anonymous, payload={"redacted": True})
        )
        if customer.email:  # e-mail pushes (codes, surveys) are addressed to it
            session.execute(
                update(Push)
                .where(Push.shop_id == shop.id, Push.target == customer.email)
                .values(target=anonymous, payload={"redacted": True})
            )
            session.execute(
                delete(Unsubscribe).where(Unsubscribe.shop_id == shop.id, Unsubscribe.email == customer.email.lower())
            )
        _forget_what_they_said(session, shop.id, customer.id)
        _forget_their_events(session, shop.id, customer, anonymous)
        customer.key = anonymous
        customer.platform_id = customer.email = customer.email_key = customer.first_name = customer.last_name = None
        customer.birthday = None
    if needles:  # found by the database, byte for byte
        blank = update(WebhookEvent).values(body=REDACTED_BODY)
        named = _named(needles, session.get_bind().dialect.name)
        later = WebhookEvent.id > found.up_to if found is not None else true()
        session.execute(blank.where(WebhookEvent.shop_id == shop.id, later, named))
        ids = list(found.ids) if found is not None else []
        for start in range(0, len(ids), 1000):
            session.execute(blank.where(WebhookEvent.id.in_(ids[start : start + 1000])))
    return len(customers)


def _needles(request: Lifecycle, customers: list[CustomerRecord]) -> set[bytes]:
    """What names the customer in a raw body: the request's id and e-mail, and the e-mails held on them."""
    return {n.encode() for n in (request.customer_id, request.email, *(c.email for c in customers)) if n}


def _named(needles: set[bytes], dialect: str) -> Any:
    """SQL: whether a webhook event's body holds any of ``needles``."""
    return or_(*(_holds(WebhookEvent.body, needle, dialect) for needle in needles))


def _holds(body: Any, needle: bytes, dialect: str) -> Any:
    """SQL: whether ``body`` holds the bytes ``needle``."""
    if dialect == "sqlite":
        return func.instr(body, needle) > 0
    escaped = needle.replace(b"\\", b"\\\\").replace(b"%", b"\\%").replace(b"_", b"\\_")
    return body.op("LIKE")(b"%" + escaped + b"%")  # bytea LIKE (backslash escapes)


def _forget_what_they_said(session: Session, shop_id: int, customer_id: int) -> None:
    """Survey comments on the customer's orders, and the notes and details of their care items."""
    orders = select(OrderRecord.order_id).where(OrderRecord.shop_id == shop_id, OrderRecord.customer_id == customer_id)
    session.execute(
        update(SurveyRecord)
        .where(SurveyRecord.shop_id == shop_id, SurveyRecord.order_id.in_(orders))
        .values(comment=None)
    )
    session.execute(
        update(CareItem)
        .where(CareItem.shop_id == shop_id, CareItem.customer_id == customer_id)
        .values(detail=None, history=[])
    )


def _forget_their_events(session: Session, shop_id: int, customer: CustomerRecord, anonymous: str) -> None:
    """The programme's events about the customer keep what happened, not who it happened to; their deliveries
    still owed go to the anonymous member."""
    for event in session.scalars(select(ProgrammeEvent).where(ProgrammeEvent.customer_id == customer.id)):
        data = dict(event.data) | {"customer": {"redacted": True}}
        if isinstance(data.get("care"), dict):
            data["care"] = dict(data["care"]) | {"detail": None}
        event.data = data
    session.execute(
        update(Push)
        .where(Push.shop_id == shop_id, Push.target.like(f"destination:%:{customer.key}"))
        .values(target=func.replace(Push.target, customer.key, anonymous))
    )


def export_customer(session: Session, shop: Shop, request: Lifecycle) -> int:
    """Gather everything held on the customer into a data export. Returns its id."""
    records = [_held_on(session, shop, customer) for customer in matching_customers(session, shop.id, request)]
    body = {
        "shop": shop.domain,
        "request_id": request.request_id,
        "requested_for": {
            "customer_id": request.customer_id,
            "email": request.email,
            "orders": list(request.order_ids),
        },
        "records": json.loads(json.dumps(records, default=str)),
    }
    export = DataExport(
        shop_id=shop.id,
        request_id=request.request_id,
        customer_ref=request.customer_id or request.email or "unknown",
        body=body,
    )
    session.add(export)
    session.flush()
    return export.id


def _held_on(session: Session, shop: Shop, customer: CustomerRecord) -> dict[str, Any]:
    """Everything held on one member: their record, ledger, orders, codes and messages, survey answers."""
    return {
        "customer": {
            "id": customer.platform_id,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "points": customer.points,
            "member_since": customer.created_at.isoformat(),
        },
        "ledger": [
            {
                "kind": e.kind,
                "points": e.points,
                "source": {"type": e.source_type, "id": e.source_id},
                "rule": e.rule,
                "created_at": e.created_at.isoformat(),
            }
            for e in session.scalars(
                select(LedgerEntry).where(LedgerEntry.customer_id == customer.id).order_by(LedgerEntry.id)
            )
        ],
        "orders": [
            {
                "id": o.order_id,
                "name": o.name,
                "currency": o.currency,
                "merchandise_amount": str(o.merchandise_amount) if o.merchandise_amount is not None else None,
                "paid": o.paid,
                "cancelled": o.cancelled,
                "points_earned": o.points_earned,
            }
            for o in session.scalars(
                select(OrderRecord).where(OrderRecord.customer_id == customer.id).order_by(OrderRecord.id)
            )
        ],
        "codes_and_messages": [
            {"kind": p.kind, "status": p.status, "code": p.payload.get("code"), "created_at": p.created_at.isoformat()}
            for p in session.scalars(select(Push).where(Push.shop_id == shop.id, Push.target == customer.key))
        ],
        "survey_answers": _survey_answers(session, shop.id, customer.id),
    }


def _survey_answers(session: Session, shop_id: int, customer_id: int) -> list[dict[str, Any]]:
    theirs = select(OrderRecord.order_id).where(OrderRecord.shop_id == shop_id, OrderRecord.customer_id == customer_id)
    answered = session.scalars(
        select(SurveyRecord)
        .where(SurveyRecord.shop_id == shop_id, SurveyRecord.score.is_not(None), SurveyRecord.order_id.in_(theirs))
        .order_by(SurveyRecord.id)
    )
    return [
        {"order": v.order_id, "score": v.score, "comment": v.comment, "answered_at": v.answered_at.isoformat()}
        for v in answered
        if v.answered_at is not None
    ]


def erase_shop(storage: Storage, shop_id: int) -> None:
    """Delete everything Sadakat holds for a shop, ``ERASE_CHUNK`` rows per transaction and the rows that
    point at others first, so no transaction holds SQLite's write lock for long and other shops' webhooks
    keep being stored meanwhile. The shop's own row goes last, with its pending events (the erasure's own
    among them): an erasure cut short is finished when its event is retried. Safe to run twice or at once."""
    for table in reversed(Base.metadata.sorted_tables):
        if "shop_id" not in table.c or table.name == Shop.__tablename__:
            continue
        where = [table.c.shop_id == shop_id]
        if table.name == WebhookEvent.__tablename__:
            where.append(table.c.status != WebhookEvent.PENDING)
        (key,) = table.primary_key.columns
        chunk = select(key).where(*where).limit(ERASE_CHUNK).scalar_subquery()
        while True:
            with storage.session() as session:
                if not session.execute(delete(table).where(key.in_(chunk))).rowcount:
                    break
            storage.let_writers_in()
    with storage.session() as session:
        session.execute(delete(Shop).where(Shop.id == shop_id))


@dataclass(frozen=True)
class Request:
    """The front door's change for a store's lifecycle event other than ``shop_redact``."""

    shop: Shop
    request: Lifecycle
    found: NamedBodies | None = None

    def apply(self, session: Session) -> door.Applied[None]:
        """Carry it out (see ``apply``)."""
        apply(session, self.shop, self.request, self.found)
        return door.Applied(None)


def apply(session: Session, shop: Shop, request: Lifecycle, found: NamedBodies | None = None) -> None:
    """Carry out a lifecycle event other than ``shop_redact`` (which the inbox handles, as it erases the
    event itself); ``found``: for a redaction, the bodies ``find_named_bodies`` found beforehand."""
    if request.kind == "uninstalled":
        uninstall(session, shop)
    elif request.kind == "customer_redact":
        redact_customer(session, shop, request, found)
    elif request.kind == "customer_data_request":
        export_customer(session, shop, request)
