"""A member's ledger in plain words, in the shop's language: "Order #1042: +414 points"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import LedgerEntry, OrderRecord
from connector.language import formats
from connector.language.catalogs import NP_, Words

WORDS = Words(
    "customer",
    {
        "order": NP_("Order {order}: +{amount} point", "Order {order}: +{amount} points"),
        "refund": NP_("Refund on {order}: {points} point", "Refund on {order}: {points} points"),
        "cancellation": NP_("Order {order} cancelled: {points} point", "Order {order} cancelled: {points} points"),
        "redemption": NP_("Spent {amount} point on a discount code", "Spent {amount} points on a discount code"),
        "gift": NP_("A gift: +{amount} point", "A gift: +{amount} points"),
        "survey": NP_(
            "Thank you for answering our survey: +{amount} point",
            "Thank you for answering our survey: +{amount} points",
        ),
        "expiry": NP_("{amount} point expired", "{amount} points expired"),
        "spent_cancelled": NP_(
            "Order {order} cancelled: {amount} point you spent came back",
            "Order {order} cancelled: {amount} points you spent came back",
        ),
        "spent_refunded": NP_(
            "Refund on {order}: {amount} point you spent came back",
            "Refund on {order}: {amount} points you spent came back",
        ),
        "code_refused": NP_(
            "{amount} point came back: the store could not create your code",
            "{amount} points came back: the store could not create your code",
        ),
        "adjustment": NP_("Adjustment: {points} point", "Adjustment: {points} points"),
        "import": NP_(
            "Points brought over from your previous rewards programme: {points} point",
            "Points brought over from your previous rewards programme: {points} points",
        ),
        "referral": NP_(
            "A friend you invited placed an order: +{amount} point",
            "A friend you invited placed an order: +{amount} points",
        ),
        "signup": NP_("Welcome to the programme: +{amount} point", "Welcome to the programme: +{amount} points"),
        "action": NP_("Thank you for joining in: +{amount} point", "Thank you for joining in: +{amount} points"),
    },
)
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
        signed = ("+" if entry.points >= 0 else "\u2212") + formats.number(abs(entry.points), locale)
        if entry.rule == SPENT_RETURNED:
            key = "spent_cancelled" if order_id in cancelled else "spent_refunded"
        elif entry.rule == CODE_REFUSED:
            key = "code_refused"
        else:
            key = entry.kind if entry.kind in words else "adjustment"
        described.append(
            words[key].format(order=order, points=signed, amount=formats.number(abs(entry.points), locale))
        )
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
