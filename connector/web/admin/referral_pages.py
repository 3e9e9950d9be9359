"""Referrals, for admins and scripts: every claim and conversion with its status and reason
(``/admin/api/shops/<id>/referrals`` and a page); a held reward granted early, or denied."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from connector.db.referrals import ReferralClaim
from connector.db.tables import CustomerRecord, Shop
from connector.outbox import pushes
from connector.settle.growth import referrals
from connector.web.admin.auth import require_admin
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_referrals", __name__, url_prefix="/admin")
bp.before_request(require_admin)
LISTED = 200
CENTS = Decimal("0.01")


def _claims(shop_id: int) -> list[dict[str, Any]]:
    with runtime().storage.session(read_only=True) as session:
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


def _shop_exists(shop_id: int) -> bool:
    with runtime().storage.session(read_only=True) as session:
        return session.get(Shop, shop_id) is not None


@bp.get("/api/shops/<shop_id:shop_id>/referrals")
def list_claims(shop_id: int) -> ResponseReturnValue:
    """Every claim, newest first, with its status (refused, claimed, held, granted, denied, reversed) and reason."""
    if not _shop_exists(shop_id):
        return problem(404, f"no shop {shop_id}")
    return jsonify(referrals=_claims(shop_id))


def _decide(shop_id: int, claim_id: int, approve: bool) -> None:
    storage = runtime().storage
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        moved = referrals.decide(session, shop, claim_id, approve)
        syncs = [pushes.request_customer_sync(session, shop, c) for m in moved if (c := session.get(CustomerRecord, m))]
    pushes.dispatch(storage, runtime().queue, [(p, shop_id) for p in syncs if p])


@bp.post("/api/shops/<shop_id:shop_id>/referrals/<row_id:claim_id>/<any(approve, deny):decision>")
def api_decide(shop_id: int, claim_id: int, decision: str) -> ResponseReturnValue:
    """Grant a held reward now (``approve``) or refuse it (``deny``)."""
    try:
        _decide(shop_id, claim_id, decision == "approve")
    except LookupError as exc:
        return problem(404, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    return jsonify(status="granted" if decision == "approve" else "denied")


@bp.get("/shops/<shop_id:shop_id>/referrals")
def page(shop_id: int) -> ResponseReturnValue:
    """The referrals page."""
    if not _shop_exists(shop_id):
        return problem(404, f"no shop {shop_id}")
    listed = _claims(shop_id)
    with runtime().storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        return render_template("admin/referrals.html", shop=shop, claims=listed)


@bp.post("/shops/<shop_id:shop_id>/referrals/<row_id:claim_id>/<any(approve, deny):decision>")
def page_decide(shop_id: int, claim_id: int, decision: str) -> ResponseReturnValue:
    """Grant or deny a held reward from the page."""
    t = text_for()
    try:
        _decide(shop_id, claim_id, decision == "approve")
    except LookupError as exc:
        return problem(404, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    flash(t("referral_" + ("approved" if decision == "approve" else "denied")))
    return redirect(url_for("admin_referrals.page", shop_id=shop_id))
