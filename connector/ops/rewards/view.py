"""Everything the rewards page shows: the programme for anyone, and for a signed-in member their balance,
tier and progress, what they can redeem, their codes and their history, all in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.referrals import ReferralClaim, ReferralLink
from connector.db.tables import CustomerRecord, IssuedCode, OrderRecord, Shop, utcnow
from connector.language import formats
from connector.language.catalogs import N_, Words
from connector.ops import history
from connector.ops.rewards import programme_words as words
from connector.outbox import pushes, store_credit
from connector.programme import ProgrammeSettings, Tier, programme_of, shop_currency
from connector.rules import lots
from connector.settle import expiry, ledger
from connector.settle.tiers import tier_for, toward_next

HISTORY = 20
CODES = 20
OPTIONS = 6


@dataclass(frozen=True)
class TierLine:
    """A tier and what it gives."""

    name: str
    perks: list[str]
    current: bool


@dataclass(frozen=True)
class CodeLine:
    """A code the member was given."""

    code: str
    worth: str
    why: str
    """"gift" or "redemption"."""
    ends: str | None
    used: bool
    expired: bool


@dataclass(frozen=True)
class HistoryLine:
    """One ledger entry in words."""

    day: str
    words: str
    points: int


@dataclass(frozen=True)
class Option:
    """An amount of points that can be redeemed, and its value."""

    points: int
    value: str


@dataclass
class Programme:
    """What anyone may read about the shop's programme."""

    shop_id: int
    shop: str
    lang: str
    colour: str
    earn: list[str]
    redeem: str
    example: str
    gifts: list[str]
    tiers: list[TierLine]


@dataclass
class Member:
    """What a signed-in member sees of their own account."""

    first_name: str | None
    email: str | None
    points: int
    tier: str | None
    progress: str | None
    options: list[Option]
    codes: list[CodeLine]
    history: list[HistoryLine]
    birthday: str | None
    referral_code: str | None
    referrals: dict[str, int] = field(default_factory=dict)
    progress_percent: int | None = None
    """How far the member's 12-month spend is towards the next tier (0-100); None with no tier above."""
    credits: list[CreditLine] = field(default_factory=list)
    """Store credit given and taken back, newest first."""
    tier_kept_until: str | None = None
    """The day the member's tier is kept until (set by hand, or in its grace), in words."""
    expiring: tuple[str, str] | None = None
    """(points, day) in words: the soonest of the member's points to expire within a year, where points expire
    by when they were earned."""


@dataclass(frozen=True)
class CreditLine:
    """Store credit given (``given``) or taken back, in words."""

    day: str
    amount: str
    given: bool


PROGRESS = Words(
    "customer",
    {
        "by": N_(
            "Spend {amount} more to reach {tier}. Orders count for 12 months: your oldest one counted stops "
            "counting on {day}."
        ),
        "plain": N_("Spend {amount} more to reach {tier}."),
        "by_year_end": N_("Spend {amount} more by {day} to reach {tier}."),
        "points": N_("Earn {points} more points to reach {tier}."),
        "top": N_("You are in our highest tier."),
    },
)


def programme_view(shop: Shop, lang: str, amount: Decimal | None = None) -> Programme:
    """The programme in the visitor's language (``amount``: the order to show the points of)."""
    programme = programme_of(shop)
    currency = shop_currency(shop)
    gifts = [words.gift_line(rule, currency, lang) for rule in programme.gifts]
    return Programme(
        shop_id=shop.id,
        shop=shop.domain,
        lang=lang,
        colour=programme.colour,
        earn=words.ways_to_earn(programme, currency, lang),
        redeem=words.redeem_line(programme, currency, lang),
        example=words.example(programme, amount or words.EXAMPLE_AMOUNT, currency, lang),
        gifts=gifts,
        tiers=[
            TierLine(t.name, words.tier_perks(t, currency, lang, programme.tier_period, programme.tier_basis), False)
            for t in programme.tiers
        ],
    )


def member_view(session: Session, shop: Shop, customer: CustomerRecord, lang: str) -> Member:
    """The member's own account, read in a handful of queries whatever the length of their history."""
    programme = programme_of(shop)
    currency = shop_currency(shop)
    entries = ledger.history(session, customer.id, HISTORY)
    described = history.describe_all(session, shop.id, entries, lang)
    happened = history.when_all(session, shop.id, entries)
    counted = toward_next(session, programme, customer.id) if programme.tiers else None
    return Member(
        first_name=customer.first_name,
        email=customer.email,
        points=customer.points,
        tier=customer.tier,
        progress=tier_progress(session, programme, customer, currency, lang, counted),
        progress_percent=progress_percent(session, programme, customer, counted[0] if counted else None),
        options=_options(programme, customer.points, currency, lang),
        codes=codes_of(session, shop, customer, currency, lang),
        history=[
            HistoryLine(formats.day(when.date(), lang), text, e.points)
            for e, text, when in zip(entries, described, happened, strict=True)
        ],
        birthday=formats.birthday(customer.birthday, lang) if customer.birthday else None,
        expiring=_expiring(session, shop, customer, lang),
        tier_kept_until=formats.day(customer.tier_kept_until, lang)
        if customer.tier and customer.tier_kept_until
        else None,
        referral_code=_referral_code(session, shop, programme, customer),
        referrals=_referrals(session, shop, customer) if programme.referrals.enabled else {},
        credits=[
            CreditLine(
                formats.day(m.created_at.date(), lang),
                formats.money(m.moved if m.moved is not None else m.amount, m.currency, lang),
                m.direction == "credit",
            )
            for m in store_credit.movements(session, shop.id, customer.id, limit=20)
            if m.status != "refused" and (m.moved is None or m.moved > 0)
        ],
    )


def _expiring(session: Session, shop: Shop, customer: CustomerRecord, lang: str) -> tuple[str, str] | None:
    programme = programme_of(shop)
    if programme.expiry_mode != "per_earning" or not programme.expiry_months or not customer.points:
        return None
    held = expiry.held_lots(session, shop.id, customer.id)
    soon = lots.upcoming(held, utcnow().date(), programme.expiry_months, 366)
    return (formats.number(soon[0][1], lang), formats.day(soon[0][0], lang)) if soon else None


def _options(programme: ProgrammeSettings, points: int, currency: str | None, lang: str) -> list[Option]:
    rules = programme.redemption
    if points < rules.minimum_points:
        return []
    steps = (points - rules.minimum_points) // rules.step_points
    # At most OPTIONS amounts spread evenly from the minimum to everything the balance covers, in steps.
    amounts = sorted(
        {rules.minimum_points + round(steps * n / (OPTIONS - 1)) * rules.step_points for n in range(OPTIONS)}
    )
    return [
        Option(p, formats.money(Decimal(p) / rules.points_per_unit, currency, lang)) for p in amounts if p <= points
    ]


def progress_percent(
    session: Session, programme: ProgrammeSettings, customer: CustomerRecord, spent: Decimal | None = None
) -> int | None:
    """The member's 12-month spend (``spent`` if already counted) as a share of the next tier's (from the
    current tier's), 0-100."""
    if not programme.tiers:
        return None
    if spent is None:
        spent, _ = toward_next(session, programme, customer.id)
    above, current = _above(programme, spent)
    if not above:
        return None
    floor = current.threshold(programme.tier_basis) if current else Decimal(0)
    span = above[0].threshold(programme.tier_basis) - floor
    return max(0, min(100, int((spent - floor) * 100 / span))) if span > 0 else 0


def _above(programme: ProgrammeSettings, counted: Decimal) -> tuple[list[Tier], Tier | None]:
    """The tiers above the one ``counted`` reaches (lowest first), and that one."""
    basis = programme.tier_basis
    current = tier_for(programme.tiers, counted, basis)
    floor = current.threshold(basis) if current else None
    return [
        t for t in programme.tiers if t.threshold(basis) > counted and (floor is None or t.threshold(basis) > floor)
    ], current


def tier_progress(
    session: Session,
    programme: ProgrammeSettings,
    customer: CustomerRecord,
    currency: str | None,
    lang: str,
    counted: tuple[Decimal, date | None] | None = None,
) -> str | None:
    """How far the member is from the next tier, in words (``counted``: what counts towards it and the day
    it must be reached by, if already known)."""
    if not programme.tiers:
        return None
    spent, by = counted or toward_next(session, programme, customer.id)
    above, _ = _above(programme, spent)
    texts = PROGRESS.get(lang, PROGRESS["en"])
    if not above:
        return texts["top"]
    target = above[0]
    if programme.tier_basis == "points":
        points = formats.number(int(target.threshold("points") - spent), lang)
        return texts["points"].format(points=points, tier=target.name)
    amount = formats.money(target.min_spend - spent, currency, lang)
    if by is None:
        return texts["plain"].format(amount=amount, tier=target.name)
    if programme.tier_period == "calendar_year":
        return texts["by_year_end"].format(amount=amount, day=formats.day(by, lang), tier=target.name)
    return texts["by"].format(amount=amount, day=formats.day(by, lang), tier=target.name)


def codes_of(session: Session, shop: Shop, customer: CustomerRecord, currency: str | None, lang: str) -> list[CodeLine]:
    issued = session.scalars(
        select(IssuedCode)
        .where(IssuedCode.customer_id == customer.id)
        .order_by(IssuedCode.created_at.desc(), IssuedCode.id.desc())
        .limit(CODES)
    ).all()
    if not issued:
        return []
    used = {
        code.upper()
        for codes in session.scalars(
            select(OrderRecord.discount_codes).where(
                OrderRecord.customer_id == customer.id, OrderRecord.discount_codes.is_not(None)
            )
        )
        for code in codes or []
        if isinstance(code, str)
    }
    now = utcnow()
    return [
        CodeLine(
            code=c.code,
            worth=words.reward(c.kind, c.value, currency, lang),
            why="redemption" if c.points_paid else pushes.code_why(c.reason),
            ends=formats.day((c.ends_at - timedelta(seconds=1)).date(), lang) if c.ends_at else None,
            used=c.code.upper() in used,
            expired=c.ends_at is not None and c.ends_at <= now,
        )
        for c in sorted(issued, key=_soonest_first)
    ]


def _soonest_first(code: IssuedCode) -> tuple[bool, datetime]:
    """Codes that expire first come first; those that never expire last."""
    return code.ends_at is None, code.ends_at or code.created_at


def _referral_code(session: Session, shop: Shop, programme: ProgrammeSettings, customer: CustomerRecord) -> str | None:
    if not programme.referrals.enabled or not customer.platform_id:
        return None  # a guest has no account to share a link from
    return session.scalar(
        select(ReferralLink.code).where(ReferralLink.shop_id == shop.id, ReferralLink.customer_id == customer.id)
    )


def _referrals(session: Session, shop: Shop, customer: CustomerRecord) -> dict[str, int]:
    counted = session.execute(
        select(ReferralClaim.status, func.count())
        .where(ReferralClaim.shop_id == shop.id, ReferralClaim.referrer_id == customer.id)
        .group_by(ReferralClaim.status)
    ).all()
    return {status: int(n) for status, n in counted}
