"""The Net Promoter Score from the after-delivery surveys: promoters (9-10) minus detractors (0-6), as
percentages of the answers, over the last 90 days; by tier, by segment, and week by week."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.after_delivery import SurveyRecord
from connector.db.tables import CustomerRecord, OrderRecord
from connector.settle.after_delivery.surveys import DETRACTOR_MAX, PROMOTER_MIN

WINDOW_DAYS = 90
WEEKS = 12


def _score(scores: list[int]) -> dict[str, Any]:
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return {
        "score": round(100 * (promoters - detractors) / len(scores)) if scores else None,
        "responses": len(scores),
        "promoters": promoters,
        "passives": len(scores) - promoters - detractors,
        "detractors": detractors,
    }


def figures(session: Session, shop_id: int, now: datetime) -> dict[str, Any]:
    """NPS over the last 90 days, with the response rate, and by tier and by segment (as last rolled up)."""
    since = now - timedelta(days=WINDOW_DAYS)
    answered = session.execute(
        select(SurveyRecord.score, CustomerRecord.segment, CustomerRecord.tier)
        .join(
            OrderRecord, (OrderRecord.shop_id == SurveyRecord.shop_id) & (OrderRecord.order_id == SurveyRecord.order_id)
        )
        .outerjoin(CustomerRecord, CustomerRecord.id == OrderRecord.customer_id)
        .where(SurveyRecord.shop_id == shop_id, SurveyRecord.score.is_not(None), SurveyRecord.answered_at >= since)
    ).all()
    sent = session.scalar(
        select(func.count()).where(
            SurveyRecord.shop_id == shop_id, SurveyRecord.sent_at.is_not(None), SurveyRecord.sent_at >= since
        )
    )
    by_tier: dict[str, list[int]] = {}
    by_segment: dict[str, list[int]] = {}
    for score, segment, tier in answered:
        by_tier.setdefault(tier or "none", []).append(score)
        if segment:
            by_segment.setdefault(segment, []).append(score)
    overall = _score([score for score, _, _ in answered])
    overall["response_rate"] = (
        (Decimal(overall["responses"]) / Decimal(sent)).quantize(Decimal("0.0001")) if sent else None
    )
    overall["by_tier"] = {tier: _score(scores) for tier, scores in sorted(by_tier.items())}
    overall["by_segment"] = {name: _score(scores) for name, scores in sorted(by_segment.items())}
    return overall


def weekly(session: Session, shop_id: int, now: datetime) -> tuple[list[str], list[int], list[int]]:
    """Week labels (the Monday, oldest first) with promoters and detractors each week, for the trend chart."""
    start = (now - timedelta(days=now.weekday(), weeks=WEEKS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    promoters, detractors = [0] * WEEKS, [0] * WEEKS
    for score, at in session.execute(
        select(SurveyRecord.score, SurveyRecord.answered_at).where(
            SurveyRecord.shop_id == shop_id, SurveyRecord.score.is_not(None), SurveyRecord.answered_at >= start
        )
    ):
        week = min((at - start).days // 7, WEEKS - 1)
        if score >= PROMOTER_MIN:
            promoters[week] += 1
        elif score <= DETRACTOR_MAX:
            detractors[week] += 1
    labels = [(start + timedelta(weeks=w)).strftime("%d.%m") for w in range(WEEKS)]
    return labels, promoters, detractors
