"""What customers see and do from the store: their balance, history and rewards, and redeeming points.

Shopify storefronts come through the app proxy (``/proxy/...``; Shopify signs each request and names the
logged-in customer). Other stores' sites call ``/api/shops/<id>/customers/<customer>/...`` server-side with
the shop's customer API key as a bearer token.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from adapters import storefront_adapter
from adapters.base import InstallError
from connector import signed
from connector.db.storage import Transaction
from connector.ops import CustomerRecord, Shop, history, shops
from connector.outbox import pushes
from connector.programme import programme_of
from connector.settle import gifts, ledger, redemption
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("storefront", __name__)
HISTORY = 20
PROXY_REDEEM_PREFIX = "sadakat:proxy-redeem:"
PROXY_URL_MEMORY_SECONDS = 1800
"""Longer than a signed app proxy request stays fresh (10 minutes either side of its timestamp)."""


def member_view(session: Transaction, shop: Shop, customer: CustomerRecord | None) -> dict[str, Any]:
    """Balance, recent history and what the balance can be redeemed for."""
    programme = programme_of(shop)
    rules = programme.redemption
    points = customer.points if customer else 0
    entries = ledger.history(session, customer.id, HISTORY) if customer else []
    # The first ten amounts the balance covers, counted without listing every step up to the balance.
    steps = 0 if points < rules.minimum_points else (points - rules.minimum_points) // rules.step_points + 1
    options = [rules.minimum_points + n * rules.step_points for n in range(min(steps, 10))]
    return {
        "points": points,
        "tier": customer.tier if customer else None,
        "birthday": customer.birthday.isoformat() if customer and customer.birthday else None,
        "history": [
            {"kind": e.kind, "points": e.points, "created_at": e.created_at.isoformat(), "description": words}
            for e, words in zip(entries, history.describe_all(session, shop.id, entries, programme.locale), strict=True)
        ],
        "rewards": {
            "points_per_unit": rules.points_per_unit,
            "minimum_points": rules.minimum_points,
            "step_points": rules.step_points,
            "options": [
                {"points": p, "value": str((Decimal(p) / rules.points_per_unit).quantize(Decimal("0.01")))}
                for p in options
            ],
        },
    }


def redeem_answer(shop_id: int, customer: CustomerRecord | None) -> ResponseReturnValue:
    """Redeem the request's ``{"points", "key"}`` for the customer: 201 with what was given, 200 for a repeat."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"points": 500}')
    if customer is None:
        return problem(400, "not enough points: the balance is 0")
    try:
        done = redemption.redeem(runtime().storage, shop_id, customer.id, body.get("points"), body.get("key"))
    except redemption.RedemptionError as exc:
        return problem(400, str(exc))
    except LookupError as exc:
        return problem(404, str(exc))
    pushes.dispatch(runtime().storage, runtime().queue, done.pushes)
    if done.reward == redemption.STORE_CREDIT:
        answer = {"reward": done.reward, "amount": str(done.value), "currency": done.currency}
    else:
        answer = {"reward": done.reward, "code": done.code, "value": str(done.value), "fallback": done.fallback}
    answer |= {"points": done.points, "balance": done.balance, "repeated": done.repeated}
    return jsonify(answer), 200 if done.repeated else 201


def proxy_member() -> tuple[Shop, CustomerRecord | None] | ResponseReturnValue:
    """The shop and logged-in member a signed app proxy request names, or the 401/404 to answer."""
    adapter = storefront_adapter()
    try:
        domain, customer_id = adapter.storefront_customer(request.args.to_dict(flat=False), runtime().config)
    except InstallError as exc:
        return problem(401, str(exc))
    shop, customer = shops.storefront_visit(runtime().storage, adapter.platform, domain, customer_id)
    if shop is None:
        return problem(404, "this store has no Sadakat programme")
    if customer_id is None:
        return problem(401, "log in to see your points")
    return shop, customer


@bp.get("/proxy/balance")
def proxy_balance() -> ResponseReturnValue:
    """The logged-in customer's balance, history and rewards (Shopify app proxy)."""
    found = proxy_member()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer = found
    with runtime().storage.session(read_only=True) as session:
        return jsonify(member_view(session, shop, customer))


@bp.post("/proxy/redeem")
def proxy_redeem() -> ResponseReturnValue:
    """Redeem points for a code (Shopify app proxy): ``{"points": 500, "key": "..."}``."""
    found = proxy_member()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer = found
    body = request.get_json(silent=True)
    key = body.get("key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        return problem(400, "key is required: a text unique to this redemption, sent again on a retry")
    # The body isn't signed: one signed URL redeems once (a retry carries the same key and gets the same code).
    used = PROXY_REDEEM_PREFIX + hashlib.sha256(request.query_string).hexdigest()
    try:
        redis, mark = runtime().redis, key[:100]
        if not redis.set(used, mark, nx=True, ex=PROXY_URL_MEMORY_SECONDS) and redis.get(used) != mark.encode():
            return problem(409, "this page was already used to redeem points: reload it to redeem again")
    except RedisError:
        return problem(503, "redeeming is not possible right now: try again in a moment")
    return redeem_answer(shop.id, customer)


def api_member(shop_id: int, ident: str | None) -> tuple[Shop, CustomerRecord | None] | ResponseReturnValue:
    """The shop and the customer a request of the store's server names (customer API key), or the error
    (a stranger's 401 before anything about the request)."""
    with runtime().storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        if not _key_matches(shop):
            return problem(401, "missing or wrong customer API key")
        named = _named_customer(ident)
        if not isinstance(named, str):
            return named
        return _api_member_in(session, shop_id, named)


def _key_matches(shop: Shop | None) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = (shop.customer_api_key if shop else None) or ""
    return bool(expected) and scheme.lower() == "bearer" and signed.same(expected, token.strip())


def _api_member_in(
    session: Transaction, shop_id: int, ident: str
) -> tuple[Shop, CustomerRecord | None] | ResponseReturnValue:
    shop = shops.shop_in(session, shop_id)
    if shop is None or not _key_matches(shop):
        return problem(401, "missing or wrong customer API key")
    return shop, shops.find_member(session, shop_id, ident)


def _named_customer(ident: str | None) -> str | ResponseReturnValue:
    """The customer a request names: in the path, else ``?customer=`` or the JSON body's ``customer`` (which
    keep e-mail addresses out of access logs, since those record paths only)."""
    if ident is None:
        body = request.get_json(silent=True) if request.method == "POST" else None
        ident = request.args.get("customer") or (body.get("customer") if isinstance(body, dict) else None)
    if not isinstance(ident, str) or not ident.strip() or len(ident) > 320:
        return problem(400, "customer is required: the store's customer id or the customer's e-mail address")
    return ident.strip()


@bp.get("/api/shops/<shop_id:shop_id>/customer/balance")
@bp.get("/api/shops/<shop_id:shop_id>/customers/<path:ident>/balance")
def api_balance(shop_id: int, ident: str | None = None) -> ResponseReturnValue:
    """A customer's balance, history and rewards, for the store's own site (customer API key)."""
    ident = _named_customer(ident)
    if not isinstance(ident, str):
        return ident
    with runtime().storage.session(read_only=True) as session:  # one read: the key check and the view
        found = _api_member_in(session, shop_id, ident)
        if not isinstance(found, tuple) or not isinstance(found[0], Shop):
            return found
        return jsonify(member_view(session, *found))


@bp.post("/api/shops/<shop_id:shop_id>/customer/redeem")
@bp.post("/api/shops/<shop_id:shop_id>/customers/<path:ident>/redeem")
def api_redeem(shop_id: int, ident: str | None = None) -> ResponseReturnValue:
    """Redeem a customer's points for a code, for the store's own site (customer API key)."""
    found = api_member(shop_id, ident)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    return redeem_answer(shop_id, found[1])


def _set_birthday(shop_id: int, customer: CustomerRecord | None) -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"birthday": "1990-05-17"}')
    if customer is None:
        return problem(404, "no member yet: the birthday can be set after a first order")
    birthday = gifts.record_birthday(runtime().storage, customer.id, body.get("birthday"))  # Refused: 400/409
    return jsonify(birthday=birthday.isoformat())


@bp.post("/proxy/birthday")
def proxy_birthday() -> ResponseReturnValue:
    """Set the logged-in customer's birthday, once (Shopify app proxy)."""
    found = proxy_member()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    return _set_birthday(found[0].id, found[1])


@bp.post("/api/shops/<shop_id:shop_id>/customer/birthday")
@bp.post("/api/shops/<shop_id:shop_id>/customers/<path:ident>/birthday")
def api_birthday(shop_id: int, ident: str | None = None) -> ResponseReturnValue:
    """Set a customer's birthday, once (the store's own site, customer API key)."""
    found = api_member(shop_id, ident)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    return _set_birthday(shop_id, found[1])
