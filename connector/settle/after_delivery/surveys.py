"""The after-delivery survey: due when a parcel of an order is delivered, answered once with a score that
earns points once, an unhappy score opening a care item. Sending is ``connector.ops.after_delivery.surveys``;
the answer page goes through ``connector.ops.after_delivery.answers`` and settle's front door."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector import signed
from connector.db.after_delivery import CareItem, SurveyRecord
from connector.db.order_rows import OrderRow
from connector.db.storage import upsert_insert
from connector.db.tables import LedgerEntry, OrderRecord, Shop, utcnow
from connector.errors import Invalid
from connector.outbox import events
from connector.programme import programme_of
from connector.settle import ledger
from connector.settle.after_delivery import care

SCORES = range(11)
DETRACTOR_MAX = 6
PROMOTER_MIN = 9
MAX_COMMENT = 2000


class SurveyError(Invalid):
    """A survey link or answer can't be used; the message says why."""


def schedule(session: Session, shop: Shop, order_id: str, delivered_at: datetime | None) -> None:
    """Note that a parcel of the order was delivered: its survey is due ``delay_days`` later (once per order)."""
    session.execute(
        upsert_insert(session, SurveyRecord)
        .values(shop_id=shop.id, order_id=order_id, delivered_at=delivered_at or utcnow(), status=SurveyRecord.DUE)
        .on_conflict_do_nothing(index_elements=["shop_id", "order_id"])
    )


def token(shop: Shop, survey_id: int, score: int | str) -> str:
    """The unguessable part of the link for answering ``score`` (or ``"comment"``) to a survey."""
    secret = (shop.code_secret or "").encode()
    return hmac.new(secret, f"survey:{survey_id}:{score}".encode(), hashlib.sha256).hexdigest()[:32]


def checked(shop: Shop, survey_id: int, what: int | str, given: str | None) -> None:
    """SurveyError unless ``given`` is the token for ``what`` of this survey."""
    if not signed.same(token(shop, survey_id, what), given, signed.HEX):
        raise SurveyError("this survey link is not valid")


def answer(session: Session, shop: Shop, survey: SurveyRecord, score: int) -> bool:
    """Record ``score`` if the survey has no answer yet, with its points once and, for a detractor, a care
    item. Returns whether this was the answer that counted."""
    if score not in SCORES:
        raise SurveyError("the score must be a whole number from 0 to 10")
    if survey.score is not None:
        return False
    survey.score = score
    survey.answered_at = utcnow()
    survey.status = SurveyRecord.ANSWERED
    order = session.scalars(
        select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == survey.order_id)
    ).first()
    points = programme_of(shop).survey.points
    ended = order is not None and (order.cancelled or order.fully_refunded)  # an order that no longer stands
    if order is not None and order.customer_id is not None and points and not ended:
        ledger.append(
            session,
            shop.id,
            order.customer_id,
            ledger.NewEntry(
                key=f"survey:{survey.order_id}",
                kind="survey",
                points=points,
                source_type="survey",
                source_id=survey.order_id,
                rule="answered_survey",
            ),
        )
    member = order.customer_id if order is not None else None
    cause = {"type": "order", "id": survey.order_id}
    details = {"score": score, "comment": bool(survey.comment), "order_id": survey.order_id}
    events.emit(
        session,
        shop,
        [events.NewEvent("survey.answered", f"survey.answered:{survey.order_id}", member, cause, details)],
    )
    if score <= DETRACTOR_MAX:
        care.open_item(
            session,
            shop.id,
            "detractor",
            f"detractor:{survey.order_id}",
            order_id=survey.order_id,
            detail=f"{score}/10",
        )
    return True


def points_earned(session: Session, shop: Shop, survey: SurveyRecord) -> int:
    """The points the survey's answer earned and still holds."""
    keys = (f"survey:{survey.order_id}", f"survey-reversal:{survey.order_id}")
    held = session.scalar(
        select(func.sum(LedgerEntry.points)).where(LedgerEntry.shop_id == shop.id, LedgerEntry.key.in_(keys))
    )
    return int(held or 0)


def on_order(session: Session, shop: Shop, order: OrderRow) -> list[int]:
    """A survey's points are taken back (once) when its order is cancelled or refunded in full after the
    answer. Returns the members whose balance moved."""
    if not (order.cancelled or order.fully_refunded):
        return []
    paid = session.execute(
        select(LedgerEntry.customer_id, LedgerEntry.points).where(
            LedgerEntry.shop_id == shop.id, LedgerEntry.key == f"survey:{order.order_id}"
        )
    ).first()
    if paid is None:
        return []
    taken = ledger.append(
        session,
        shop.id,
        paid.customer_id,
        ledger.NewEntry(
            key=f"survey-reversal:{order.order_id}",
            kind="survey",
            points=-paid.points,
            source_type="survey",
            source_id=order.order_id,
            rule="order_cancelled_or_refunded",
        ),
    )
    return [paid.customer_id] if taken else []


def comment(session: Session, shop: Shop, survey: SurveyRecord, text: str) -> None:
    """Keep the customer's comment on their answer (a detractor's goes to their care item too)."""
    if survey.score is None:
        raise SurveyError("choose a score first")
    cleaned = "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()[:MAX_COMMENT]
    if not cleaned:
        return
    survey.comment = cleaned
    if survey.score <= DETRACTOR_MAX:
        item = session.scalars(
            select(CareItem).where(CareItem.shop_id == shop.id, CareItem.key == f"detractor:{survey.order_id}")
        ).first()
        if item is not None:
            item.detail = f"{survey.score}/10: {cleaned}"
