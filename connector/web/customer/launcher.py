"""``/rewards/<shop handle>/launcher.js``: the one script tag a merchant pastes into any site (a WordPress footer,
say) to put a Rewards button on every page, in the shop's colour and language, opening a panel with what
the programme offers, a way to join and a link to the hosted rewards page. It sets no cookie and calls no
one but Sadakat.

When the site signs the customer it shows (``data-customer``, ``data-ts``, ``data-sig`` on the script tag:
hex HMAC-SHA256 of ``<shop id>:<customer id>:<unix time>`` with the customer API key, as the straight-in
link), the launcher trades the signature, once and within its 5 minutes, for a token it keeps in memory
for the page's life, and the panel is the member's own: balance, tier progress, redeeming with a
confirmation, codes with Copy, the referral link with share buttons."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from connector.language.catalogs import Plural, text_direction
from connector.language.choice import first_spoken
from connector.language.formats import numbering_system
from connector.ops import CustomerRecord, Shop, shops
from connector.ops.rewards import sign_in
from connector.ops.rewards.view import programme_view
from connector.programme import programme_of
from connector.web.customer import storefront
from connector.web.customer.account_api import member_answer
from connector.web.customer.referrals import share_places
from connector.web.customer.rewards import shop_for
from connector.web.customer.rewards_texts import WORDS, visitor_language
from connector.web.customer.shop_links import read_shop_names
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("launcher", __name__)
read_shop_names(bp)
SCRIPT = Path(__file__).parents[1] / "static" / "launcher.js"
TOKEN_SECONDS = 2 * 3600
"""How long the launcher's token lasts: longer than a page usually stays open; after it, the visitor's panel."""
NOT_SIGNED = "the launcher's sign-in has ended: reload the page"
PANEL_WORDS = (
    "hello", "hello_nameless", "tier", "progress_label", "redeem_title", "redeem_none", "confirm", "confirm_yes",
    "confirm_no", "code_title", "code_made", "copy_button", "copied", "codes_title", "code_until", "referral_title",
    "referral_help", "share", "share_text", "join_title", "join_new", "launcher_join", "launcher_points",
    "new_member", "credit_added", "busy", "redeem_failed", "points_unit",
)  # fmt: skip


@cache
def _code() -> str:
    return SCRIPT.read_text()


def script_words(message: str, lang: str) -> str | dict[str, str]:
    """A message for the launcher's script: the text, or for one with plural forms its forms by category."""
    return message.by_category(lang) if isinstance(message, Plural) else message


def panel_words(lang: str) -> dict[str, Any]:
    """What the member's panel says, in ``lang``, and where it shares a referral link."""
    words = WORDS[lang]
    return {
        "words": {key: script_words(words[key], lang) for key in PANEL_WORDS},
        "dir": text_direction(lang),
        "digits": numbering_system(lang),
        "share": [{"name": name, "url": url} for name, url in share_places(words["share_email"])],
    }


@bp.get("/rewards/<shop_id>/launcher.js")
def launcher(shop_id: int) -> ResponseReturnValue:
    """The launcher with this shop's settings (``?lang=en|tr``, ``?position=left|right``)."""
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    programme = programme_of(shop)
    browser = request.accept_languages.best_match(list(WORDS)) if request.accept_languages else None
    lang = first_spoken(WORDS, (request.args.get("lang"), browser, programme.locale))
    words, offer = WORDS[lang], programme_view(shop, lang)
    base = f"{runtime().config.public_url}/rewards/{shop.handle}"
    config = {
        "page": f"{base}?lang={lang}",
        "session": f"{base}/launcher/session",
        "me": f"{base}/launcher/me?lang={lang}",
        "redeem": f"{base}/launcher/redeem",
        "signup": programme.signup_url,
        **panel_words(lang),
        "colour": programme.colour,
        "position": "left" if request.args.get("position") == "left" else "right",
        "lang": lang,
        "label": words["title"],
        "title": words["title"],
        "see": words["launcher_see"],
        "close": words["launcher_close"],
        "summary": [*offer.earn[:2], offer.redeem],
    }
    # JSON inside a script: "<" escaped so no text from the shop can close the script element.
    call = "\nsadakatLauncher(" + json.dumps(config, ensure_ascii=False).replace("<", "\\u003c") + ");\n"
    response = Response(_code() + call, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.after_request
def _cors(response: Response) -> Response:
    # Called from the merchant's own site with a bearer token, never a cookie: any origin may ask.
    if request.endpoint in ("launcher.session", "launcher.me", "launcher.redeem"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rewards/<shop_id>/launcher/session", methods=["POST", "OPTIONS"])
def session(shop_id: int) -> ResponseReturnValue:
    """``{"customer", "ts", "sig"}`` as the site signed them: ``{"token"}`` for the launcher to keep in memory
    (``null`` for a customer with no record yet), or 401 when the signature is wrong, stale or used."""
    if request.method == "OPTIONS":
        return "", 204
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("customer", "ts", "sig")):
        return problem(400, 'the body must be a JSON object like {"customer": "42", "ts": "1765100000", "sig": "…"}')
    customer, at, sig = body["customer"][:200], body["ts"][:40], body["sig"][:200]
    redis = runtime().redis
    try:
        if not sign_in.store_link_ok(
            redis, shop.customer_api_key, shop.id, customer, at, sig, time.time(), use="launcher"
        ):
            return problem(401, "the signature is not the store's, is more than 5 minutes old or was used already")
        with runtime().storage.session(read_only=True) as db:
            found = shops.find_member(db, shop.id, customer)
            customer_id = found.id if found else None
        token = sign_in.open_session(redis, shop.id, customer_id, TOKEN_SECONDS) if customer_id else None
    except RedisError:
        return problem(503, WORDS["en"]["busy"])
    return jsonify(token=token, expires_in=TOKEN_SECONDS if token else None)


def _member(shop_id: int) -> tuple[Shop, CustomerRecord] | ResponseReturnValue:
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        visitor = sign_in.visitor(runtime().redis, shop.id, token.strip()) if scheme.lower() == "bearer" else None
    except RedisError:
        return problem(503, WORDS["en"]["busy"])
    if visitor is None:
        return problem(401, NOT_SIGNED)
    with runtime().storage.session(read_only=True) as db:
        customer = shops.member_in(db, visitor.customer_id)
    if customer is None or customer.shop_id != shop.id:
        return problem(401, NOT_SIGNED)
    return shop, customer


@bp.route("/rewards/<shop_id>/launcher/me", methods=["GET", "OPTIONS"])
def me(shop_id: int) -> ResponseReturnValue:
    """The member's panel (as the account page's extension reads it), for the launcher's token."""
    if request.method == "OPTIONS":
        return "", 204
    found = _member(shop_id)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer = found
    lang = visitor_language(programme_of(shop).locale, customer.locale, remember=False)
    return jsonify(member_answer(shop, customer, lang))


@bp.route("/rewards/<shop_id>/launcher/redeem", methods=["POST", "OPTIONS"])
def redeem(shop_id: int) -> ResponseReturnValue:
    """``{"points": 500, "key": "..."}`` for the launcher's token: as the customer API's redeem."""
    if request.method == "OPTIONS":
        return "", 204
    found = _member(shop_id)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer = found
    return storefront.redeem_answer(shop.id, customer)


@bp.get("/proxy/launcher")
def proxy_panel() -> ResponseReturnValue:
    """The member's panel for the launcher in a Shopify theme (the app embed), through the app proxy (Shopify
    signs the request and names the logged-in customer): the panel, and its words in the visitor's language,
    which the theme's own locale files don't carry."""
    found = storefront.proxy_member()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer = found
    lang = visitor_language(programme_of(shop).locale, customer.locale if customer else None, remember=False)
    answer = jsonify(member_answer(shop, customer, lang) | panel_words(lang))
    answer.headers["Cache-Control"] = "no-store"
    return answer
