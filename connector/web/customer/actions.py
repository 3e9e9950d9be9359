"""``POST /api/shops/<id>/customers/<customer>/actions``: another app (reviews, newsletter) reports
something a customer did, through the store's server with the shop's customer API key, and it earns the
points the shop set for it."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from connector.ops import Shop
from connector.outbox import pushes
from connector.settle.growth import actions
from connector.web.customer.storefront import api_member
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("actions", __name__)


@bp.post("/api/shops/<shop_id:shop_id>/customer/actions")
@bp.post("/api/shops/<shop_id:shop_id>/customers/<path:ident>/actions")
def record_action(shop_id: int, ident: str | None = None) -> ResponseReturnValue:
    """``{"action": "review", "key": "<unique per occurrence>"}`` → 201 with the points; the same key again
    is 200 (no-op); an unknown action 400; over the daily cap 409 saying when it resets."""
    found = api_member(shop_id, ident)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    if found[1] is None:
        return problem(404, "no such customer in this shop yet")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"action": "review", "key": "review-123"}')
    try:
        done = actions.record_for(runtime().storage, shop_id, found[1].id, body.get("action"), body.get("key"))
    except actions.ActionError as exc:
        return problem(400, str(exc))
    except actions.OverCap as exc:
        return problem(409, str(exc))
    pushes.dispatch(runtime().storage, runtime().queue, done.pushes)
    if done.repeat:
        return jsonify(status="already recorded", points=0, balance=done.balance), 200
    return jsonify(status="recorded", points=done.points, balance=done.balance), 201
