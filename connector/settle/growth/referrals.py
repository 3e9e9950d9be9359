"""Referrals: a member's link, a friend's claim (refused with a reason, or a single-use welcome code), and
the referrer's points — held until the friend's order can no longer be refunded, taken back if it is."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.db.order_rows import OrderRow
from connector.db.referrals import ReferralClaim, ReferralLink
from connector.db.storage import upsert_insert
from connector.db.tables import CustomerRecord, OrderRecord, Shop, utcnow
from connector.errors import Invalid
from connector.model import Customer
from connector.outbox import pushes
from connector.programme import programme_of
from connector.rules.referrals import email_key, own_order
from connector.settle import ledger, members

WEEK = timedelta(days=7)
REASONS = {
    "off": "the shop's referral programme is off",
    "self": "you can't refer yourself",
    "customer": "this e-mail address already belongs to a customer of the shop",
    "taken": "this friend was already referred by someone else",
    "address_limit": "too many friends were signed up from this address this week",
}
CODE_KINDS = {"amount": "fixed_amount", "percentage": "percentage", "free_shipping": "free_shipping"}


class ReferralInputError(Invalid):
    """The friend's details can't be used; the message names the field."""


@dataclass(frozen=True)
class Claimed:
    """What a friend's claim came to: a code (new or the one they had), or a refusal and its reason."""

    code: str | None
    repeat: bool = False
    refused: str | None = None
    """One of REASONS' keys."""
    push_id: int | None = None


def link_code(session: Session, shop: Shop, customer: CustomerRecord) -> str:
    """The member's referral code, made on first asking."""
    session.execute(
        upsert_insert(session, ReferralLink)
        .values(shop_id=shop.id, customer_id=customer.id, code=secrets.token_urlsafe(8)[:11], created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["shop_id", "customer_id"])
    )
    return session.scalars(
        select(ReferralLink.code).where(ReferralLink.shop_id == shop.id, ReferralLink.customer_id == customer.id)
    ).one()


def referrer(session: Session, shop_id: int, code: str) -> CustomerRecord | None:
    """The member whose link ends in ``code``."""
    found = session.scalar(
        select(ReferralLink.customer_id).where(ReferralLink.shop_id == shop_id, ReferralLink.code == code[:16])
    )
    return session.get(CustomerRecord, found) if found is not None else None


def claim(
    session: Session, shop: Shop, by: CustomerRecord, email: object, address: str | None, now: datetime | None = None
) -> Claimed:
    """A friend asks for their welcome code through ``by``'s link. Refusals are recorded with their reason and
    create no code; a repeat for the same friend asks for nothing new. The code reaches the friend only by
    e-mail, once the store has it, so whoever claims must own the address."""
    now = now or utcnow()
    if not isinstance(email, str) or "@" not in email or len(email.strip()) > 320 or not email.strip().isprintable():
        raise ReferralInputError("email: give the friend's e-mail address")
    email = email.strip().lower()
    key = email_key(email)
    if not key.partition("@")[0] or "." not in key.partition("@")[2]:
        raise ReferralInputError("email: give the friend's e-mail address")
    settings = programme_of(shop).referrals
    existing = session.scalars(
        select(ReferralClaim).where(ReferralClaim.shop_id == shop.id, ReferralClaim.friend_key == key)
    ).first()
    if existing is not None and existing.referrer_id == by.id:
        return Claimed(existing.welcome_code, repeat=True)
    reason = _refusal(session, shop, by, key, address, existing is not None, now)
    if reason is None and not settings.enabled:
        reason = "off"
    if reason is not None:
        session.add(
            ReferralClaim(
                shop_id=shop.id,
                referrer_id=by.id,
                friend_email=email,
                client_address=address,
                status=ReferralClaim.REFUSED,
                reason=reason,
            )
        )
        return Claimed(None, refused=reason)
    row = ReferralClaim(
        shop_id=shop.id,
        referrer_id=by.id,
        friend_email=email,
        friend_key=key,
        client_address=address,
        status=ReferralClaim.CLAIMED,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same friend, claiming twice at once: the first claim stands
        return claim(session, shop, by, email, address, now)
    friend = members.customer_record(session, shop.id, Customer(id=None, email=email))
    assert friend is not None
    reward = settings.friend_reward
    push_id, code = pushes.issue_discount_code(
        session,
        shop,
        friend,
        kind=CODE_KINDS[reward.kind],
        value=reward.value,
        ends_at=now + timedelta(days=reward.days),
        reason_key=f"referral:{row.id}",
        title="Welcome gift",
    )
    row.welcome_code = code
    return Claimed(code, push_id=push_id)


def _refusal(
    session: Session,
    shop: Shop,
    by: CustomerRecord,
    key: str,
    address: str | None,
    taken: bool,
    now: datetime,
) -> str | None:
    if by.email and email_key(by.email) == key:
        return "self"
    if taken:
        return "taken"
    known = session.scalars(
        select(CustomerRecord).where(CustomerRecord.shop_id == shop.id, CustomerRecord.email_key == key)
    ).all()
    for customer in known:
        has_order = session.scalar(select(OrderRecord.id).where(OrderRecord.customer_id == customer.id).limit(1))
        if customer.platform_id or has_order is not None:
            return "customer"
    if address:
        recent = session.scalar(
            select(func.count()).where(
                ReferralClaim.shop_id == shop.id,
                ReferralClaim.client_address == address,
                ReferralClaim.status != ReferralClaim.REFUSED,
                ReferralClaim.created_at >= now - WEEK,
            )
        )
        if (recent or 0) >= programme_of(shop).referrals.max_claims_per_address_per_week:
            return "address_limit"
    return None


def on_order(session: Session, shop: Shop, order: OrderRow, now: datetime | None = None) -> list[int]:
    """Follow a friend's order that used a welcome code: it converts when paid (held, or granted at once
    with no hold), is denied if the referrer placed it or it ends within the hold, and a granted reward is
    taken back if it ends later. Returns the members whose balance moved."""
    codes = {c.upper() for c in order.discount_codes or []}
    if not codes:
        return []
    row = session.scalars(
        select(ReferralClaim)
        .where(ReferralClaim.shop_id == shop.id, func.upper(ReferralClaim.welcome_code).in_(codes))
        .with_for_update()
    ).first()
    if row is None or (row.order_id is not None and row.order_id != order.order_id):
        return []
    now = now or utcnow()
    ended = order.cancelled or order.fully_refunded
    if row.status == ReferralClaim.CLAIMED and order.paid:
        row.order_id, row.order_total, row.paid_at = order.order_id, order.total, now
        if ended:
            return _deny(row, "the friend's order was cancelled or refunded")
        if _placed_by_referrer(session, shop, order, row.referrer_id):
            return _deny(row, "self-referral: the referrer placed the order")
        refusal = _not_the_new_friend(session, shop, order, row)
        if refusal:
            return _deny(row, refusal)
        row.status, row.hold_until = ReferralClaim.HELD, now + timedelta(days=programme_of(shop).referrals.hold_days)
        return grant(session, shop, row) if row.hold_until <= now else []
    if row.status == ReferralClaim.HELD and ended:
        return _deny(row, "the friend's order was refunded or cancelled during the hold")
    if row.status == ReferralClaim.GRANTED and ended:
        ledger.append(
            session,
            shop.id,
            row.referrer_id,
            ledger.NewEntry(
                key=f"referral-reversal:{row.id}",
                kind="referral",
                points=-(row.points or 0),
                source_type="referral",
                source_id=str(row.id),
                rule="friend_order_refunded",
            ),
        )
        row.status, row.reason = ReferralClaim.REVERSED, "the friend's order was refunded or cancelled"
        return [row.referrer_id]
    return []


def grant(session: Session, shop: Shop, row: ReferralClaim) -> list[int]:
    """Give the referrer their points (once). Returns the member whose balance moved."""
    points = programme_of(shop).referrals.referrer_points
    ledger.append(
        session,
        shop.id,
        row.referrer_id,
        ledger.NewEntry(
            key=f"referral:{row.id}",
            kind="referral",
            points=points,
            source_type="referral",
            source_id=str(row.id),
            rule="friend_order_kept",
        ),
    )
    row.status, row.points, row.reason = ReferralClaim.GRANTED, points, None
    return [row.referrer_id]


def _deny(row: ReferralClaim, reason: str) -> list[int]:
    row.status, row.reason = ReferralClaim.DENIED, reason
    return []


def _placed_by_referrer(session: Session, shop: Shop, order: OrderRow, referrer_id: int) -> bool:
    them = session.get(CustomerRecord, referrer_id)
    buyer = session.get(CustomerRecord, order.customer_id) if order.customer_id else None
    shipping = set(
        session.scalars(
            select(OrderRecord.shipping_key).where(
                OrderRecord.shop_id == shop.id,
                OrderRecord.customer_id == referrer_id,
                OrderRecord.shipping_key.is_not(None),
                OrderRecord.order_id != order.order_id,
            )
        )
    )
    return own_order(
        order.customer_id,
        buyer.email if buyer else None,
        order.shipping_key,
        referrer_id,
        them.email if them else None,
        shipping,
    )


def _not_the_new_friend(session: Session, shop: Shop, order: OrderRow, row: ReferralClaim) -> str | None:
    """Why the order's buyer isn't the new customer the code was sent to, or None: the buyer must be the
    friend's inbox and have no earlier paid order under their account or any address of the same inbox."""
    buyer = session.get(CustomerRecord, order.customer_id) if order.customer_id else None
    buyer_key = email_key(buyer.email) if buyer is not None and buyer.email else None
    if buyer_key != row.friend_key:
        return "the code was used by someone other than the friend it was sent to"
    people = {order.customer_id} | set(
        session.scalars(
            select(CustomerRecord.id).where(CustomerRecord.shop_id == shop.id, CustomerRecord.email_key == buyer_key)
        )
    )
    earlier = session.scalar(
        select(OrderRecord.id)
        .where(
            OrderRecord.shop_id == shop.id,
            OrderRecord.customer_id.in_(people),
            OrderRecord.order_id != order.order_id,
            OrderRecord.paid.is_(True),
        )
        .limit(1)
    )
    return "the friend was already a customer: they had paid for an earlier order" if earlier is not None else None


def release_held(session: Session, shop: Shop, now: datetime | None = None) -> list[int]:
    """Grant held rewards whose hold is over (their order still stands). Returns members whose balance moved."""
    now = now or utcnow()
    moved: list[int] = []
    for row in session.scalars(
        select(ReferralClaim)
        .where(
            ReferralClaim.shop_id == shop.id,
            ReferralClaim.status == ReferralClaim.HELD,
            ReferralClaim.hold_until <= now,
        )
        .with_for_update()
    ):
        order = session.scalars(
            select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == row.order_id)
        ).first()
        if order is None or order.cancelled or order.fully_refunded:
            _deny(row, "the friend's order was refunded or cancelled during the hold")
        else:
            moved += grant(session, shop, row)
    return moved


def decide(session: Session, shop: Shop, claim_id: int, approve: bool) -> list[int]:
    """An admin grants a held reward early, or denies it. LookupError for an unknown claim; ValueError if it
    is no longer held."""
    row = session.get(ReferralClaim, claim_id, with_for_update=True) if 0 < claim_id < 2**31 else None
    if row is None or row.shop_id != shop.id:
        raise LookupError(f"no referral {claim_id} in shop {shop.id}")
    if row.status not in (ReferralClaim.HELD, ReferralClaim.CLAIMED) or (approve and row.status != ReferralClaim.HELD):
        raise ValueError(f"referral {claim_id} is {row.status}, not held")
    if approve:
        return grant(session, shop, row)
    return _deny(row, "denied by an admin")
