"""Referrals, for admins and scripts: every claim and conversion with its status and reason
(``/admin/api/shops/<id>/referrals`` and a page); a held reward granted early, or denied."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from connector.ops import shops
from connector.ops.customers import referral_claims
from connector.outbox import pushes
from connector.web.admin.auth import require_admin, source, who
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_referrals", __name__, url_prefix="/admin")
bp.before_request(require_admin)


def _shop_exists(shop_id: int) -> bool:
    return shops.find_shop(runtime().storage, shop_id) is not None


@bp.get("/api/shops/<shop_id:shop_id>/referrals")
def list_claims(shop_id: int) -> ResponseReturnValue:
    """Every claim, newest first, with its status (refused, claimed, held, granted, denied, reversed) and reason."""
    if not _shop_exists(shop_id):
        return problem(404, f"no shop {shop_id}")
    return jsonify(referrals=referral_claims.claims(runtime().storage, shop_id))


def _decide(shop_id: int, claim_id: int, approve: bool) -> None:
    pushes.dispatch(
        runtime().storage,
        runtime().queue,
        referral_claims.decide(runtime().storage, shop_id, claim_id, approve, who(), source()),
    )


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
    listed = referral_claims.claims(runtime().storage, shop_id)
    return render_template("admin/referrals.html", shop=shops.find_shop(runtime().storage, shop_id), claims=listed)


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
