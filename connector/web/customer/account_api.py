"""What Shopify's customer account and checkout extensions call, authenticated only by Shopify's session
token (``Authorization: Bearer <JWT>``): the signed-in customer's rewards, redeeming, what one of their
orders earned, and what an order on the thank-you page earns. The customer is the token's ``sub``; no
parameter can name another. Answers carry CORS for the extensions' origin and set no cookie."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from adapters import storefront_adapter
from adapters.base import BadToken
from connector.ops import CustomerRecord, Shop, shops
from connector.ops.rewards import order_points
from connector.ops.rewards.view import member_view, programme_view
from connector.programme import programme_of
from connector.settle.growth import referrals
from connector.web.customer import storefront
from connector.web.customer.rewards_texts import visitor_language
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("account_api", __name__)
EXTENSION_ORIGINS = frozenset({"https://extensions.shopifycdn.com"})
"""Where customer account and checkout UI extensions run (their web worker's origin)."""
NOT_SIGNED = "a valid Shopify session token is required"


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin in EXTENSION_ORIGINS:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Signed:
    """Whom a verified session token speaks for."""

    shop: Shop
    customer: CustomerRecord | None
    """Their member record (None before their first order or account event)."""
    customer_id: str | None
    """Their Shopify customer id (None for a guest at checkout)."""


def _signed_in(customer_required: bool = True) -> Signed | ResponseReturnValue:
    """The installed shop and customer the session token speaks for, or a 401 that says nothing more."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return problem(401, NOT_SIGNED)
    try:
        domain, customer_id, _ = storefront_adapter().session_customer(token.strip(), runtime().config)
    except BadToken:
        return problem(401, NOT_SIGNED)
    if customer_required and customer_id is None:
        return problem(401, NOT_SIGNED)
    shop, customer = shops.storefront_visit(runtime().storage, storefront_adapter().platform, domain, customer_id)
    if shop is None:
        return problem(401, NOT_SIGNED)  # a shop that isn't installed looks like a bad token
    return Signed(shop, customer, customer_id)


@bp.get("/api/customer-account/rewards")
def rewards() -> ResponseReturnValue:
    """The member's view: the programme, points, tier and progress, options, codes and credit, history and
    referral link; a customer with no record yet gets the programme and zero points."""
    found = _signed_in()
    if not isinstance(found, Signed):
        return found
    shop, customer = found.shop, found.customer
    lang = visitor_language(programme_of(shop).locale, customer.locale if customer else None, remember=False)
    return jsonify(member_answer(shop, customer, lang))


def member_answer(shop: Shop, customer: CustomerRecord | None, lang: str) -> dict[str, Any]:
    """What a member's panel shows (the account page's extension, the launcher): the programme, points, tier
    and progress, options, codes and credit, history and referral link; with no record yet, the programme and
    zero points."""
    answer: dict[str, Any] = {
        "lang": lang,
        "programme": asdict(programme_view(shop, lang)),
        "reward": programme_of(shop).redemption.reward,
        "member": None,
        "points": 0,
    }
    if customer is not None:
        with runtime().storage.session() as session:
            member = member_view(session, shop, customer, lang)
            if member.referral_code is None and programme_of(shop).referrals.enabled and customer.platform_id:
                member.referral_code = referrals.link_code(session, shop, customer)  # made on first asking
        answer |= {"member": asdict(member), "points": member.points}
        if member.referral_code:
            answer["referral_url"] = f"{runtime().config.public_url}/r/{shop.handle}/{member.referral_code}"
    return answer


@bp.post("/api/customer-account/redeem")
def redeem() -> ResponseReturnValue:
    """``{"points": 500, "key": "..."}``: as the customer API's redeem (201; a repeated key, the same answer)."""
    found = _signed_in()
    if not isinstance(found, Signed):
        return found
    shop, customer = found.shop, found.customer
    return storefront.redeem_answer(shop.id, customer)


@bp.get("/api/customer-account/orders/<path:order_id>/points")
def one_order_points(order_id: str) -> ResponseReturnValue:
    """What one of the customer's orders earned: ``earned``, ``pending`` (not paid yet) or ``reversed``."""
    found = _signed_in()
    if not isinstance(found, Signed):
        return found
    shop, customer = found.shop, found.customer
    order_id = order_id.removeprefix("gid://shopify/Order/")
    if not order_id.isdigit() or len(order_id) > 20:
        return problem(404, "no such order")
    found_points = order_points.of_member(runtime().storage, shop.id, customer.id if customer else None, order_id)
    if found_points is None:
        return problem(404, "no such order")
    return jsonify(points=found_points.points, status=found_points.status)


@bp.get("/api/checkout/points")
def checkout_points() -> ResponseReturnValue:
    """What the order on the thank-you page earns, by the settling rule (the member's tier multiplier
    included); ``pending`` until the store has told Sadakat of the order. Guests are welcome."""
    found = _signed_in(customer_required=False)
    if not isinstance(found, Signed):
        return found
    shop, customer_id = found.shop, found.customer_id
    order_id = (request.args.get("order") or "").removeprefix("gid://shopify/Order/")
    if not order_id.isdigit() or len(order_id) > 20:
        return problem(400, "order must be the order's id")
    estimate = order_points.on_thank_you_page(runtime().storage, shop, customer_id, order_id)
    if estimate is None:
        return problem(404, "no such order")
    if estimate.points is None:
        return jsonify(points=None, status=estimate.status, guest=customer_id is None)
    reward = programme_of(shop).redemption.reward
    return jsonify(points=estimate.points, status=estimate.status, guest=customer_id is None, reward=reward)
