"""Referral claims as admins read them, and their decisions on held rewards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connector.db.referrals import ReferralClaim
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from connector.ops.merchants import audit
from connector.settle import door
from connector.settle.growth import referrals

LISTED = 200
CENTS = Decimal("0.01")


def claims(storage: Storage, shop_id: int) -> list[dict[str, Any]]:
    """The shop's latest claims, newest first, with who referred whom, the status and why."""
    with storage.session(read_only=True) as session:
        rows = session.execute(
            select(ReferralClaim, CustomerRecord.email)
            .join(CustomerRecord, CustomerRecord.id == ReferralClaim.referrer_id)
            .where(ReferralClaim.shop_id == shop_id)
            .order_by(ReferralClaim.id.desc())
            .limit(LISTED)
        ).all()
        return [
            {
                "id": claim.id,
                "referrer": email,
                "friend": claim.friend_email,
                "status": claim.status,
                "reason": claim.reason,
                "welcome_code": claim.welcome_code,
                "order_id": claim.order_id,
                "order_total": str(claim.order_total.quantize(CENTS)) if claim.order_total is not None else None,
                "hold_until": claim.hold_until.isoformat() if claim.hold_until else None,
                "points": claim.points,
                "created_at": claim.created_at.isoformat(),
            }
            for claim, email in rows
        ]


def decide(
    storage: Storage, shop_id: int, claim_id: int, approve: bool, by: str = "command line", source: str | None = None
) -> list[tuple[int, int]]:
    """Grant a held reward now or refuse it; LookupError for an unknown shop or claim, ValueError for one that
    isn't held. Returns the pushes to dispatch (the referrer's sync)."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        decision = door.Step(shop, lambda s, shop: door.Applied(referrals.decide(s, shop, claim_id, approve)))
        done = door.settle(session, decision).pushes
        audit.record(
            session, shop_id, by, source, "referral", f"claim {claim_id}", "held", "approved" if approve else "denied"
        )
        return done
