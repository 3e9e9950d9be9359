"""One customer as an admin sees them: balance, tier and progress, every ledger entry in plain words with
the rule and rate behind it (and who adjusted it, and why), orders, codes, parcels and birthday."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, ShipmentRecord, Shop
from connector.language.catalogs import N_, NP_, Words
from connector.ops import history
from connector.ops.rewards.view import CodeLine, codes_of, tier_progress
from connector.programme import programme_of, shop_currency
from connector.settle import ledger

LEDGER_SHOWN = 200
ORDERS_SHOWN = 20
RULE_WORDS = Words(
    "admin",
    {
        "points_per_currency_unit": NP_("{rate} point per 1.00", "{rate} points per 1.00"),
        "proportional_to_merchandise_refunded": N_("taken back in proportion to the refund"),
        "reverse_remaining": N_("what the order still held, taken back"),
        "spent_points_returned": N_("points spent on a code, given back"),
        "code_refused_points_returned": N_("the store refused the code"),
        "points_for_code": N_("turned into a discount code"),
        "admin_adjustment": N_("by hand"),
        "guest_points_joined_account": N_("earned as a guest, moved to the account"),
        "answered_survey": N_("answered the survey"),
        "signup": N_("opened an account"),
        "friend_order_kept": N_("a friend's order was kept"),
        "friend_order_refunded": N_("a friend's order was refunded"),
        "birthday_points": N_("birthday"),
        "inactive": N_("unused for {months} months"),
        "multiplier": N_("{multiplier} times the base rate"),
        "other": N_("{rule}"),
    },
)


@dataclass(frozen=True)
class Line:
    """A ledger entry as the admin reads it."""

    when: datetime
    words: str
    rule: str
    note: str | None
    by: str | None
    points: int


@dataclass(frozen=True)
class OrderLine:
    """An order of the customer's."""

    name: str
    placed: datetime | None
    total: Decimal | None
    points: int | None
    state: str
    """paid, cancelled, refunded or unpaid."""
    codes: list[str]


@dataclass(frozen=True)
class Profile:
    """Everything the customer page shows."""

    customer: CustomerRecord
    progress: str | None
    lines: list[Line]
    entries: int
    orders: list[OrderLine]
    codes: list[CodeLine]
    parcels: list[ShipmentRecord]
    birthday: date | None


def rule_words(entry: LedgerEntry, base_rate: Decimal, lang: str) -> str:
    """The rule behind an entry, in words, with the earning rate and a tier's multiplier where they apply."""
    words = RULE_WORDS.get(lang, RULE_WORDS["en"])
    if entry.rule.startswith("inactive_") and entry.rule.endswith("_months"):
        return words["inactive"].format(months=entry.rule.split("_")[1])
    if entry.rule not in words:
        return words["other"].format(rule=entry.rule.replace("_", " "))
    rate = entry.rate.normalize() if entry.rate is not None else None
    text = words[entry.rule].format(rate=f"{rate:f}" if rate is not None else "?")
    if entry.rule == "points_per_currency_unit" and rate and base_rate and rate != base_rate:
        text += f" ({words['multiplier'].format(multiplier=f'{(rate / base_rate).normalize():f}')})"
    return text


def profile(session: Session, shop: Shop, customer: CustomerRecord, lang: str) -> Profile:
    """The customer page's content, in the admin's language."""
    programme = programme_of(shop)
    currency = shop_currency(shop)
    entries = ledger.history(session, customer.id, LEDGER_SHOWN)
    described = history.describe_all(session, shop.id, entries, lang)
    happened = history.when_all(session, shop.id, entries)
    lines = [
        Line(when, text, rule_words(e, programme.earn_rate, lang), e.note,
             e.source_id if e.source_type == "admin" else None, e.points)
        for e, text, when in zip(entries, described, happened, strict=True)
    ]  # fmt: skip
    orders = session.scalars(
        select(OrderRecord)
        .where(OrderRecord.customer_id == customer.id)
        .order_by(OrderRecord.placed_at.desc(), OrderRecord.id.desc())
        .limit(ORDERS_SHOWN)
    ).all()
    order_lines = [
        OrderLine(
            name=o.name or o.order_id,
            placed=o.placed_at,
            total=o.total,
            points=o.points_earned,
            state="cancelled" if o.cancelled else "refunded" if o.fully_refunded else "paid" if o.paid else "unpaid",
            codes=[c for c in o.discount_codes or [] if isinstance(c, str)],
        )
        for o in orders
    ]
    parcels = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.order_id.in_([o.order_id for o in orders]))
        .order_by(ShipmentRecord.id.desc())
    ).all() if orders else []  # fmt: skip
    return Profile(
        customer=customer,
        progress=tier_progress(session, programme, customer, currency, lang),
        lines=lines,
        entries=ledger.count(session, customer.id),
        orders=order_lines,
        codes=codes_of(session, shop, customer, currency, lang),
        parcels=list(parcels),
        birthday=customer.birthday,
    )
