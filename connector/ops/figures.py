"""Measuring the programme: is it bringing customers back, and what does it cost?

"Members" are customers with a store account (they can redeem and see their points); "non-members" are
guest checkouts, who earn under their e-mail until they open one. Money is in the shop's currency; rates
and averages are rounded to four / two places, and None where there is nothing to divide by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from redis import Redis
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.referrals import ReferralClaim
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop, utcnow
from connector.ops.after_delivery import nps
from connector.ops.customers import segments as segments_rollup
from connector.outbox import store_credit
from connector.programme import programme_of
from connector.rules import segments
from connector.rules.segments import SEGMENTS

ACTIVE_DAYS = 90
INLINE_ROLLUP = 5_000
ROLL_UP_SHOP = "jobs.roll_up.roll_up_shop"
ROLL_UP_SECONDS_PER_CUSTOMER = 0.0001
"""A roll-up's pace, for saying when queued figures will be ready (about 80 s at 1M: docs/performance.md)."""
ROLL_UP_LEAST_SECONDS = 10
COUNTING_KEY = "sadakat:rollup:queued:{shop_id}"
CENTS = Decimal("0.01")
RATE = Decimal("0.0001")


@dataclass(frozen=True)
class Buyer:
    """One customer's facts for measuring: account or guest, tier, balance, and paid orders (time, total)."""

    member: bool
    tier: str | None
    points: int
    orders: tuple[tuple[datetime, Decimal], ...]
    customer_id: int | None = None


def _ratio(part: Decimal | int, whole: Decimal | int, places: Decimal = RATE) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole)).quantize(places)


def repeat_purchase_rate(buyers: list[Buyer]) -> Decimal | None:
    """Of the customers who bought, the share who bought more than once."""
    bought = [b for b in buyers if b.orders]
    return _ratio(sum(1 for b in bought if len(b.orders) > 1), len(bought))


def average_order_value(buyers: list[Buyer]) -> Decimal | None:
    """Mean total of their paid orders."""
    totals = [total for b in buyers for _, total in b.orders]
    return _ratio(sum(totals, Decimal(0)), len(totals), CENTS)


def lifetime_value(buyers: list[Buyer]) -> Decimal | None:
    """Mean spend per customer who bought."""
    bought = [b for b in buyers if b.orders]
    return _ratio(sum((t for b in bought for _, t in b.orders), Decimal(0)), len(bought), CENTS)


def rfm_segments(buyers: list[Buyer], now: datetime) -> dict[str, int]:
    """Customers who bought, by recency, frequency and money-spent quintiles, into six segments."""
    counts = dict.fromkeys(SEGMENTS, 0)
    for name in segment_of(buyers, now).values():
        counts[name] += 1
    return counts


def segment_of(buyers: list[Buyer], now: datetime) -> dict[int, str]:
    """Each buyer's segment, by their position in ``buyers`` (those who bought only; the scoring is in
    ``connector.rules.segments``)."""
    bought = [(i, b) for i, b in enumerate(buyers) if b.orders]
    if not bought:
        return {}
    spans = [(min(t for t, _ in b.orders), max(t for t, _ in b.orders), len(b.orders)) for _, b in bought]
    interval = segments.typical_interval(
        [(last - first).total_seconds() / 86400 / (n - 1) for first, last, n in spans if n > 1]
    )
    spend = segments.spend_scores([sum((t for _, t in b.orders), Decimal(0)) for _, b in bought])
    return {
        i: segments.segment(
            segments.recency_score((now - last).total_seconds() / 86400, interval),
            segments.frequency_score(n),
            m,
        )
        for (i, _), (_, last, n), m in zip(bought, spans, spend, strict=True)
    }


def _group(buyers: list[Buyer]) -> dict[str, Any]:
    return {
        "customers": sum(1 for b in buyers if b.orders),
        "repeat_purchase_rate": repeat_purchase_rate(buyers),
        "average_order_value": average_order_value(buyers),
        "lifetime_value": lifetime_value(buyers),
    }


def roll_up_if_small(
    storage: Storage, shop_id: int, redis: Redis, queue: Queue, now: datetime | None = None
) -> datetime | None:
    """Roll up a shop of up to ``INLINE_ROLLUP`` customers now, so its figures are fresh (its own write; the
    figures are then read without one). A larger shop never waits on a page: it relies on the hourly job, and
    one never rolled up has its roll-up queued, once. Returns when a queued roll-up's figures will be ready,
    else None (the figures can be read now)."""
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        if shop is None or _large(shop):
            return None
        customers = session.scalar(select(func.count()).where(CustomerRecord.shop_id == shop_id)) or 0
        if customers > INLINE_ROLLUP:
            return None if shop.rollup is not None else _queued(redis, queue, shop_id, customers, now)
    segments_rollup.roll_up(storage, shop_id, now)
    return None


def _queued(redis: Redis, queue: Queue, shop_id: int, customers: int, now: datetime | None) -> datetime:
    """Queue the shop's first roll-up unless it is queued already; when its figures will be ready."""
    now = now or utcnow()
    seconds = max(ROLL_UP_LEAST_SECONDS, customers * ROLL_UP_SECONDS_PER_CUSTOMER)
    ready = now + timedelta(seconds=seconds)
    key = COUNTING_KEY.format(shop_id=shop_id)
    if redis.set(key, ready.isoformat(), nx=True, ex=int(seconds * 3) + 600):
        queue.enqueue(ROLL_UP_SHOP, shop_id, job_id=f"roll-up-{shop_id}", result_ttl=0, failure_ttl=3600,
                      job_timeout=int(seconds * 10) + 600, description=f"shop {shop_id}'s first roll-up")  # fmt: skip
        return ready
    said = redis.get(key)
    return datetime.fromisoformat(said.decode() if isinstance(said, bytes) else str(said)) if said else ready


def _large(shop: Shop) -> bool:
    """Whether the shop had more than ``INLINE_ROLLUP`` customers at its latest roll-up."""
    return int((shop.rollup or {}).get("customers", 0)) > INLINE_ROLLUP


def programme_metrics(
    session: Session, shop: Shop, now: datetime | None = None, counting: datetime | None = None
) -> dict[str, Any]:
    """Every programme metric for a shop. A shop of up to ``INLINE_ROLLUP`` customers has its points, members
    and tiers counted by the database now, the rest as of its latest roll-up (``as_of``; see
    ``roll_up_if_small``, which runs it on every view); a larger shop has all of them as of the hourly roll-up,
    so a view costs the same whatever its size; a large shop whose first roll-up is queued (``counting``: when
    it will be ready) has none of those yet. Reads only."""
    now = now or utcnow()
    rolled = shop.rollup or {}
    large = _large(shop) and "by_tier" in rolled
    if counting is not None:
        by_tier, sums = [], {}
    elif large:
        by_tier = [tuple(row) for row in rolled["by_tier"]]
        sums = {(kind, rule): int(total) for kind, rule, total in rolled["ledger"]}
    else:
        by_tier = segments_rollup.tier_counts(session, shop.id)
        sums = {(kind, rule): total for kind, rule, total in segments_rollup.ledger_sums(session, shop.id)}

    def points(kind: str, rule: str | None = None) -> int:
        return sum(total for (k, r), total in sums.items() if k == kind and (rule is None or r == rule))

    issued = points("order")
    returned = points("adjustment", "code_refused_points_returned") + points("adjustment", "store_credit_refused")
    redeemed = -points("redemption") - returned
    expired = -points("expiry")
    per_unit = programme_of(shop).redemption.points_per_unit
    members = sum(m for _, _, m, _ in by_tier)
    outstanding = sum(p for _, _, _, p in by_tier)
    tiers = [(tier or "none", m) for tier, _, m, _ in by_tier if m]
    groups = rolled.get("members_vs_non_members", {})
    return {
        "as_of": shop.segmented_at,
        "large": large,
        "counting": counting,
        "members": members,
        "active_members": rolled.get("active_members", 0),
        "members_vs_non_members": {name: _decimals(groups.get(name, {})) for name in ("members", "non_members")},
        "points": {
            "issued": issued,
            "redeemed": redeemed,
            "expired": expired,
            "redemption_rate": _ratio(redeemed, issued),
            "outstanding": outstanding,
            "liability": (Decimal(outstanding) / per_unit).quantize(CENTS),
        }
        | (  # where points expire by when they were earned: how many do soon
            {f"expiring_{days}_days": rolled["expiring"][days] for days in ("30", "90")}
            if rolled.get("expiring")
            else {}
        ),
        "gift_codes": rolled.get("gift_codes", {"issued": 0, "used": 0}),
        "store_credit": store_credit.shop_totals(session, shop.id),
        "tiers": dict(tiers),
        "segments": rolled.get("segments", dict.fromkeys(SEGMENTS, 0)),
        "nps": nps.figures(session, shop.id, now),
        "referrals": referral_figures(session, shop.id),
    }


def _decimals(group: dict[str, Any]) -> dict[str, Any]:
    """A rolled-up group's figures with its rates and amounts as exact decimals again."""
    return {
        "customers": group.get("customers", 0),
        **{
            name: None if group.get(name) is None else Decimal(group[name])
            for name in ("repeat_purchase_rate", "average_order_value", "lifetime_value")
        },
    }


def referral_figures(session: Session, shop_id: int) -> dict[str, Any]:
    """Friends who claimed a welcome code, those whose order converted, their revenue, and points paid."""
    statuses = dict(
        session.execute(
            select(ReferralClaim.status, func.count())
            .where(ReferralClaim.shop_id == shop_id, ReferralClaim.status != ReferralClaim.REFUSED)
            .group_by(ReferralClaim.status)
        ).all()
    )
    converted = (ReferralClaim.HELD, ReferralClaim.GRANTED, ReferralClaim.REVERSED)
    revenue = [
        total
        for (total,) in session.execute(
            select(ReferralClaim.order_total).where(
                ReferralClaim.shop_id == shop_id,
                ReferralClaim.status.in_((ReferralClaim.HELD, ReferralClaim.GRANTED)),
                ReferralClaim.order_total.is_not(None),
            )
        )
    ]
    claims = sum(statuses.values())
    conversions = sum(statuses.get(s, 0) for s in converted)
    points = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.shop_id == shop_id, LedgerEntry.kind == "referral"
        )
    )
    return {
        "claims": claims,
        "conversions": conversions,
        "conversion_rate": _ratio(conversions, claims),
        "referred_revenue": sum(revenue, Decimal(0)).quantize(CENTS),
        "points_paid": int(points or 0),
    }
