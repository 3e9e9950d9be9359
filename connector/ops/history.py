"""A member's ledger in plain words, in the shop's language: "Order #1042: +414 points"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import LedgerEntry, OrderRecord
from connector.outbox.letters import number_words

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "order": "Order {order}: +{amount} points",
        "refund": "Refund on {order}: {points} points",
        "cancellation": "Order {order} cancelled: {points} points",
        "redemption": "Spent {amount} points on a discount code",
        "gift": "A gift: +{amount} points",
        "survey": "Thank you for answering our survey: +{amount} points",
        "expiry": "{amount} points expired",
        "spent_cancelled": "Order {order} cancelled: {amount} points you spent came back",
        "spent_refunded": "Refund on {order}: {amount} points you spent came back",
        "code_refused": "{amount} points came back: the store could not create your code",
        "adjustment": "Adjustment: {points} points",
        "import": "Points brought over from your previous rewards programme: {points} points",
        "referral": "A friend you invited placed an order: +{amount} points",
        "signup": "Welcome to the programme: +{amount} points",
        "action": "Thank you for joining in: +{amount} points",
    },
    "tr": {
        "order": "{order} numaralı sipariş: +{amount} puan",
        "refund": "{order} numaralı siparişte iade: {points} puan",
        "cancellation": "{order} numaralı sipariş iptal edildi: {points} puan",
        "redemption": "İndirim kodu için {amount} puan harcandı",
        "gift": "Hediye: +{amount} puan",
        "survey": "Anketimizi yanıtladığınız için teşekkürler: +{amount} puan",
        "expiry": "{amount} puanın süresi doldu",
        "spent_cancelled": "{order} numaralı sipariş iptal edildi: harcadığınız {amount} puan geri geldi",
        "spent_refunded": "{order} numaralı siparişte iade: harcadığınız {amount} puan geri geldi",
        "code_refused": "{amount} puan geri geldi: mağaza kodunuzu oluşturamadı",
        "adjustment": "Düzeltme: {points} puan",
        "import": "Önceki ödül programınızdan aktarılan puanlar: {points} puan",
        "referral": "Davet ettiğiniz bir arkadaşınız sipariş verdi: +{amount} puan",
        "signup": "Programa hoş geldiniz: +{amount} puan",
        "action": "Katıldığınız için teşekkürler: +{amount} puan",
    },
}
SPENT_RETURNED = "spent_points_returned"
CODE_REFUSED = "code_refused_points_returned"


def describe_all(session: Session, shop_id: int, entries: list[LedgerEntry], locale: str) -> list[str]:
    """Each entry as a sentence a customer understands (order names, not internal identifiers)."""
    order_ids = {_order_of(e) for e in entries} - {None}
    names = (
        dict(
            session.execute(
                select(OrderRecord.order_id, OrderRecord.name).where(
                    OrderRecord.shop_id == shop_id, OrderRecord.order_id.in_(order_ids)
                )
            ).all()
        )
        if order_ids
        else {}
    )
    cancelled = (
        set(
            session.scalars(
                select(OrderRecord.order_id).where(
                    OrderRecord.shop_id == shop_id, OrderRecord.order_id.in_(order_ids), OrderRecord.cancelled
                )
            )
        )
        if order_ids
        else set()
    )
    words = WORDS.get(locale, WORDS["en"])
    described = []
    for entry in entries:
        order_id = _order_of(entry)
        name = names.get(order_id) or order_id or ""
        order = name if name.startswith("#") else f"#{name}"
        signed = ("+" if entry.points >= 0 else "\u2212") + number_words(abs(entry.points), locale)
        if entry.rule == SPENT_RETURNED:
            key = "spent_cancelled" if order_id in cancelled else "spent_refunded"
        elif entry.rule == CODE_REFUSED:
            key = "code_refused"
        else:
            key = entry.kind if entry.kind in words else "adjustment"
        described.append(words[key].format(order=order, points=signed, amount=number_words(abs(entry.points), locale)))
    return described


def _order_of(entry: LedgerEntry) -> str | None:
    if entry.source_type == "order":
        return entry.source_id
    if entry.key.startswith("order:") and ":code:" in entry.key:  # a return of points spent on that order
        return entry.key.removeprefix("order:").split(":code:", 1)[0]
    return None


def when_all(session: Session, shop_id: int, entries: list[LedgerEntry]) -> list[datetime]:
    """When each entry happened as the customer knows it: an order's points when the order was placed (a
    backfilled or simulated history keeps its age), anything else when it was written."""
    order_ids = {e.source_id for e in entries if e.kind == "order" and e.source_type == "order"}
    placed = (
        dict(
            session.execute(
                select(OrderRecord.order_id, OrderRecord.placed_at).where(
                    OrderRecord.shop_id == shop_id,
                    OrderRecord.order_id.in_(order_ids),
                    OrderRecord.placed_at.is_not(None),
                )
            ).all()
        )
        if order_ids
        else {}
    )
    return [placed.get(e.source_id, e.created_at) if e.kind == "order" else e.created_at for e in entries]
