"""Surprise gifts: codes the programme's gift rules give after a purchase or a delivery problem.

Each gift's reason names its rule and what triggered it (``gift:<rule>:<n>:<order or shipment>``), and its
code is derived from that reason, so a replayed event or a retried job never gives a second one. The
random rule draws from a generator seeded by the shop, rule and order: a retry never re-rolls.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.columns import month_day
from connector.db.order_rows import OrderRow
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Shop, utcnow
from connector.errors import Conflict, Invalid, NotFound
from connector.outbox import pushes, store_credit
from connector.programme import GiftRule, programme_of, shop_currency
from connector.programme.settings import STORE_CREDIT
from connector.settle import ledger

ORDER_RULES = ("first_order", "every_nth_order", "order_over", "random_over")


def chance_roll(shop_id: int, rule_index: int, order_id: str) -> float:
    """The same number in [0, 1) every time for one shop, rule and order."""
    return random.Random(f"{shop_id}:{rule_index}:{order_id}").random()


def _fires(rule: GiftRule, index: int, shop: Shop, order: OrderRecord, paid_orders: int) -> bool:
    total = order.total or 0
    if rule.rule == "first_order":
        return paid_orders == 1
    if rule.rule == "every_nth_order":
        return bool(rule.every) and paid_orders % (rule.every or 1) == 0
    if rule.rule == "order_over":
        return rule.threshold is not None and total >= rule.threshold
    if rule.rule == "random_over":
        return (
            rule.threshold is not None
            and rule.chance is not None
            and total >= rule.threshold
            and chance_roll(shop.id, index, order.order_id) < float(rule.chance)
        )
    return False


def _give(
    session: Session, shop: Shop, customer: CustomerRecord, rule: GiftRule, reason: str, order_id: str | None = None
) -> int | None:
    if not customer.platform_id and not customer.email:
        return None
    if rule.kind == STORE_CREDIT:  # a guest has no store credit account, and no gift of it
        return store_credit.request(
            session,
            shop,
            customer,
            direction=store_credit.CREDIT,
            reason="gift",
            key=reason,
            amount=rule.value,
            currency=shop_currency(shop) or "",
            order_id=order_id,
            expires_at=utcnow() + timedelta(days=rule.days),
        ).push_id
    push_id, _ = pushes.issue_discount_code(
        session,
        shop,
        customer,
        kind=rule.kind,
        value=rule.value,
        ends_at=utcnow() + timedelta(days=rule.days),
        reason_key=reason,
        title="A gift from us",
        order_id=order_id,
    )
    return push_id


def for_paid_order(session: Session, shop: Shop, order: OrderRow) -> list[int]:
    """Gifts the rules give for an order that has just been paid. Returns push ids."""
    rules = programme_of(shop).gifts
    if not rules or order.customer_id is None:
        return []
    # Lock the member so two of their orders paid at once count each other.
    customer = session.get(CustomerRecord, order.customer_id, with_for_update=True)
    assert customer is not None
    paid_orders = (
        session.scalar(
            select(func.count()).where(OrderRecord.customer_id == customer.id, OrderRecord.points_earned.is_not(None))
        )
        or 0
    )
    given = []
    for index, rule in enumerate(rules):
        if rule.rule in ORDER_RULES and _fires(rule, index, shop, order, paid_orders):
            push_id = _give(session, shop, customer, rule, f"gift:{rule.rule}:{index}:{order.order_id}", order.order_id)
            if push_id:
                given.append(push_id)
    return given


def for_delivery_problem(session: Session, shop: Shop, order_id: str, shipment_id: str) -> list[int]:
    """An apology code for a delayed, failed or missed delivery: at most one per rule and shipment."""
    rules = [(i, r) for i, r in enumerate(programme_of(shop).gifts) if r.rule == "delivery_problem"]
    if not rules:
        return []
    order = session.scalars(
        select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == order_id)
    ).first()
    if order is None or order.customer_id is None:
        return []
    customer = session.get(CustomerRecord, order.customer_id)
    assert customer is not None
    given = []
    for index, rule in rules:
        push_id = _give(session, shop, customer, rule, f"gift:delivery_problem:{index}:{shipment_id}", order_id)
        if push_id:
            given.append(push_id)
    return given


def is_birthday(birthday: date, today: date) -> bool:
    """Whether ``today`` is the birthday (29 February is celebrated on the 28th in other years)."""
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birthday.month, birthday.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def birthday_members(session: Session, shop: Shop, today: date) -> list[int]:
    """The members whose birthday is today, when the programme gives birthday gifts (a read: no lock)."""
    if not any(r.rule == "birthday" for r in programme_of(shop).gifts):
        return []
    days = [today.strftime("%m-%d")] + (["02-29"] if (today.month, today.day) == (2, 28) else [])
    day = month_day(CustomerRecord.birthday, session.get_bind().dialect.name)
    return list(
        session.scalars(
            select(CustomerRecord.id)
            .where(CustomerRecord.shop_id == shop.id, CustomerRecord.birthday.is_not(None), day.in_(days))
            .order_by(CustomerRecord.id)
        )
    )


def for_birthdays(session: Session, shop: Shop, today: date, members: list[int]) -> list[int]:
    """Birthday codes (or points) for those of ``members`` (see ``birthday_members``) whose birthday is today:
    one per rule, member and year. Returns the codes' pushes."""
    rules = [(i, r) for i, r in enumerate(programme_of(shop).gifts) if r.rule == "birthday"]
    if not rules:
        return []
    given = []
    for customer in session.scalars(
        select(CustomerRecord).where(CustomerRecord.id.in_(members)).order_by(CustomerRecord.id)
    ):
        if customer.birthday and is_birthday(customer.birthday, today):
            for index, rule in rules:
                reason = f"gift:birthday:{index}:{customer.id}:{today.year}"
                if rule.kind == "points":
                    _birthday_points(session, shop, customer, rule, reason)  # the store hears through the door
                elif push_id := _give(session, shop, customer, rule, reason):
                    given.append(push_id)
    return given


def _birthday_points(session: Session, shop: Shop, customer: CustomerRecord, rule: GiftRule, reason: str) -> bool:
    """Birthday points instead of a code (once a year); the front door tells the store the new balance."""
    entry = ledger.NewEntry(
        key=reason,
        kind="gift",
        points=int(rule.value),
        source_type="customer",
        source_id=customer.platform_id or str(customer.id),
        rule="birthday_points",
    )
    return ledger.append(session, shop.id, customer.id, entry)


class BirthdayAlreadySet(Conflict):
    """A member's birthday is set once; changing it needs the store's admin."""


def set_birthday(session: Session, customer: CustomerRecord, raw: object, today: date) -> date:
    """Record a member's birthday once: Invalid for a date that isn't one, BirthdayAlreadySet for a change."""
    if not isinstance(raw, str):
        raise Invalid("birthday must be a date like 1990-05-17")
    try:
        birthday = date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid("birthday must be a date like 1990-05-17") from None
    if birthday > today or birthday.year < 1900:
        raise Invalid("birthday must be a real date in the past")
    if customer.birthday is not None and customer.birthday != birthday:
        raise BirthdayAlreadySet("the birthday is already set; ask the store to change it")
    customer.birthday = birthday
    return birthday


def record_birthday(storage: Storage, member_id: int, raw: object) -> date:
    """``set_birthday`` for a member, in a transaction of its own with their row locked."""
    with storage.session() as session:
        member = session.get(CustomerRecord, member_id, with_for_update=True)
        if member is None:
            raise NotFound("no member yet: the birthday can be set after a first order")
        return set_birthday(session, member, raw, utcnow().date())


def perk_members(session: Session, shop: Shop) -> list[int]:
    """The members of tiers with a monthly free-shipping perk (a read: no lock)."""
    perk_tiers = {t.name for t in programme_of(shop).tiers if t.free_shipping_monthly}
    if not perk_tiers:
        return []
    return list(
        session.scalars(
            select(CustomerRecord.id)
            .where(CustomerRecord.shop_id == shop.id, CustomerRecord.tier.in_(perk_tiers))
            .order_by(CustomerRecord.id)
        )
    )


def monthly_perks(session: Session, shop: Shop, today: date, members: list[int]) -> list[int]:
    """This month's free-shipping code for those of ``members`` (see ``perk_members``) still in a tier with
    that perk: one per member and month."""
    perk_tiers = {t.name for t in programme_of(shop).tiers if t.free_shipping_monthly}
    if not perk_tiers:
        return []
    perk = GiftRule(rule="tier_perk", kind="free_shipping", days=31)
    given = []
    for customer in session.scalars(
        select(CustomerRecord)
        .where(CustomerRecord.id.in_(members), CustomerRecord.tier.in_(perk_tiers))
        .order_by(CustomerRecord.id)
    ):
        push_id = _give(session, shop, customer, perk, f"perk:free_shipping:{customer.id}:{today:%Y-%m}")
        if push_id:
            given.append(push_id)
    return given
