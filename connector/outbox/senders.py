"""Who a customer's e-mail is from (the shop, its language and colour) and, for letters written when they are
sent, the letter itself: a tier reached or points about to expire, read from the member's record then, so
an unsubscribe made in between is respected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from email.utils import formataddr, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config import Config
from connector.db.after_delivery import Unsubscribe
from connector.db.storage import upsert_insert
from connector.db.tables import CustomerRecord, Shop
from connector.language import formats
from connector.language.catalogs import LANGUAGES
from connector.language.choice import first_spoken
from connector.outbox import letters
from connector.programme import programme_of

TIER_REACHED = "tier_reached"
EXPIRY_WARNING = "expiry_warning"
TIER_GRACE = "tier_grace"
STORE_CREDIT_ADDED = "store_credit_added"
STORE_CREDIT_REFUSED = "store_credit_refused"
TRANSACTIONAL = frozenset({STORE_CREDIT_ADDED, STORE_CREDIT_REFUSED})


def unsubscribed(session: Session, shop_id: int, email: str) -> bool:
    """Whether ``email`` asked the shop for no more marketing e-mail."""
    return (
        session.scalar(select(Unsubscribe.id).where(Unsubscribe.shop_id == shop_id, Unsubscribe.email == email.lower()))
        is not None
    )


def unsubscribe(session: Session, shop_id: int, email: str) -> None:
    """Record that ``email`` wants no more of the shop's marketing e-mail (asking twice changes nothing)."""
    session.execute(
        upsert_insert(session, Unsubscribe)
        .values(shop_id=shop_id, email=email.lower()[:320])
        .on_conflict_do_nothing(index_elements=["shop_id", "email"])
    )


def member_language(session: Session, shop_id: int, email: str) -> str | None:
    """The language the store knows the member with this address in, where it said."""
    return session.scalar(
        select(CustomerRecord.locale)
        .where(
            CustomerRecord.shop_id == shop_id,
            CustomerRecord.email == email.lower(),
            CustomerRecord.locale.isnot(None),
        )
        .order_by(CustomerRecord.platform_id.is_(None), CustomerRecord.id)
        .limit(1)
    )


def sender_for(session: Session, shop: Shop, config: Config, email: str, *, marketing: bool) -> letters.Sender | None:
    """The shop as the sender of a letter to ``email``, in the member's language where the store gave it, else
    the shop's; None for marketing to an address that unsubscribed."""
    if marketing and unsubscribed(session, shop.id, email):
        return None
    programme = programme_of(shop)
    locale = first_spoken(LANGUAGES["customer"], (member_language(session, shop.id, email), programme.locale))
    name = programme.shop_name or shop.domain
    address = programme.sender_email or parseaddr(config.mail_from)[1] or "no-reply@localhost"
    return letters.Sender(
        from_header=formataddr((name, address)),
        reply_to=programme.reply_to,
        shop=name,
        locale=locale,
        colour=programme.colour,
        rewards_url=letters.rewards_url(config.public_url, shop.handle),
        unsubscribe_url=letters.unsubscribe_url(config.public_url, shop.handle, shop.code_secret or "", email)
        if marketing
        else None,
    )


def written_later(kind: str, customer_id: int, **values: Any) -> dict[str, Any]:
    """An ``email`` push's payload for a letter written when it is sent."""
    return {"letter": kind, "customer_id": customer_id} | values


def compose(session: Session, payload: dict[str, Any], config: Config) -> letters.Letter | None:
    """The letter a ``written_later`` payload stands for; None if there is no one to send it to any more
    (the member was erased, has no e-mail address, or unsubscribed)."""
    customer = session.get(CustomerRecord, payload["customer_id"])
    shop = session.get(Shop, customer.shop_id) if customer else None
    if customer is None or shop is None or not customer.email:
        return None
    sender = sender_for(session, shop, config, customer.email, marketing=payload["letter"] not in TRANSACTIONAL)
    if sender is None:
        return None
    if payload["letter"] in TRANSACTIONAL:
        return letters.store_credit(
            sender,
            to=customer.email,
            first_name=customer.first_name,
            amount=formats.money(Decimal(payload.get("amount") or 0), payload.get("currency"), sender.locale),
            points=payload.get("points"),
            added=payload["letter"] == STORE_CREDIT_ADDED,
        )
    if payload["letter"] == TIER_REACHED:
        tier = next((t for t in programme_of(shop).tiers if t.name == customer.tier), None)
        if tier is None:
            return None
        return letters.tier_reached(
            sender,
            to=customer.email,
            first_name=customer.first_name,
            tier=tier.name,
            multiplier=formats.plain(tier.multiplier, sender.locale),
            free_shipping=tier.free_shipping_monthly,
        )
    if payload["letter"] == TIER_GRACE:
        tier = next((t for t in programme_of(shop).tiers if t.name == customer.tier), None)
        if tier is None or customer.tier_kept_until is None:
            return None  # the tier is gone, or the member earned it again before the letter went
        by_points = payload.get("basis") == "points"
        amount = (
            formats.number(int(Decimal(payload["amount"])), sender.locale)
            if by_points
            else formats.money(Decimal(payload["amount"]), payload.get("currency"), sender.locale)
        )
        lower = payload.get("lower")
        until = formats.day(customer.tier_kept_until, sender.locale)
        return letters.tier_grace(sender, to=customer.email, first_name=customer.first_name, tier=tier.name,
                                  until=until, amount=amount, lower=lower, points=by_points)  # fmt: skip
    on = formats.day(date.fromisoformat(payload["on"]), sender.locale)
    return letters.expiry_warning(
        sender, to=customer.email, first_name=customer.first_name, points=payload["points"], on=on
    )
