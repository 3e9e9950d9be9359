"""The rewards page inside a Shopify store: Shopify forwards ``/apps/sadakat`` to ``/proxy``, signed and naming
the logged-in customer, and renders our answer (``application/liquid``) inside the store's theme. A visitor
who isn't logged in sees the programme and a link to log in. Redeem and birthday forms post back through
the proxy, each with a token made for that customer."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from adapters import storefront_adapter
from adapters.base import InstallError
from connector.ops import CustomerRecord, Shop, shops
from connector.ops.rewards.view import Member
from connector.programme import programme_of
from connector.web.customer.rewards import (
    birthday_for,
    form_token,
    form_token_ok,
    read_member,
    redeem_for,
    render,
)
from connector.web.customer.rewards_texts import WORDS, visitor_language
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("rewards_proxy", __name__)
PREFIX = re.compile(r"/(apps|a|community|tools)/[a-z0-9][a-z0-9_-]{0,40}")
"""The app proxy prefixes Shopify lets a merchant choose (``/apps/sadakat`` by default)."""


def _liquid(html: str, status: int) -> Response:
    # Liquid runs over the answer before the browser sees it: braces from a store's data (a name, a code)
    # become character references, so they are shown and never evaluated.
    safe = html.replace("{", "&#123;").replace("}", "&#125;")
    return Response(safe, status, content_type="application/liquid; charset=utf-8")


def _visit() -> tuple[Shop, str | None, CustomerRecord | None] | ResponseReturnValue:
    adapter = storefront_adapter()
    try:
        domain, customer_key = adapter.storefront_customer(request.args.to_dict(flat=False), runtime().config)
    except InstallError as exc:
        return problem(401, str(exc))
    shop, customer = shops.storefront_visit(runtime().storage, adapter.platform, domain, customer_key)
    if shop is None:
        return problem(404, "this store has no Sadakat programme")
    return shop, customer_key, customer


def _urls(shop: Shop) -> dict[str, str]:
    prefix = request.args.get("path_prefix", "")
    prefix = prefix if PREFIX.fullmatch(prefix) else "/apps/sadakat"
    public = runtime().config.public_url
    return {
        "page": prefix,
        "redeem": f"{prefix}/rewards/redeem",
        "birthday": f"{prefix}/rewards/birthday",
        "login": "/account/login",
        "register": "/account/register",
        "stylesheet": f"{public}/static/rewards.css",
        "colours": f"{public}/rewards/{shop.handle}/colours.css",
        "script": f"{public}/static/customer.js",
    }


def _answer(
    shop: Shop, customer_key: str | None, customer: CustomerRecord | None, status: int = 200, **values: object
) -> Response:
    lang = visitor_language(programme_of(shop).locale, customer.locale if customer else None, remember=False)
    member: Member | None = read_member(shop, customer.id, lang) if customer else None
    html, status = render(
        shop,
        lang,
        "rewards/proxy.html",
        _urls(shop),
        member,
        status,
        hosted=False,
        signed_in=customer_key is not None,
        csrf=form_token(shop, f"customer:{customer_key}"),
        **values,
    )
    return _liquid(html, status)


@bp.get("/proxy")
def proxy_page() -> ResponseReturnValue:
    """The rewards page for the store's theme (Shopify app proxy)."""
    found = _visit()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    return _answer(*found)


def _member_post() -> tuple[Shop, str, CustomerRecord | None, str] | ResponseReturnValue:
    found = _visit()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer_key, customer = found
    lang = visitor_language(programme_of(shop).locale, customer.locale if customer else None, remember=False)
    if customer_key is None:
        return _answer(shop, None, None, 401)
    if not form_token_ok(shop, f"customer:{customer_key}", request.form.get("csrf")):
        return _answer(shop, customer_key, customer, 400, error=WORDS[lang]["form_expired"])
    return shop, customer_key, customer, lang


@bp.post("/proxy/rewards/redeem")
def proxy_redeem_form() -> ResponseReturnValue:
    """Redeem points from the theme's rewards page: the page again, with the code."""
    found = _member_post()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer_key, customer, lang = found
    if customer is None:
        return _answer(shop, customer_key, None, 400, error=WORDS[lang]["redeem_failed"])
    shown, failed = redeem_for(shop, customer.id, lang)
    if failed:
        return _answer(shop, customer_key, customer, 400, error=WORDS[lang][failed])
    return _answer(shop, customer_key, customer, 200 if "confirm" in shown else 201, **shown)


@bp.post("/proxy/rewards/birthday")
def proxy_birthday_form() -> ResponseReturnValue:
    """Set the birthday from the theme's rewards page."""
    found = _member_post()
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, customer_key, customer, lang = found
    if customer is None:
        return _answer(shop, customer_key, None, 400, error=WORDS[lang]["birthday_bad"])
    outcome = birthday_for(customer.id)
    status = 200 if outcome == "birthday_saved" else 409 if outcome == "birthday_again" else 400
    return _answer(
        shop, customer_key, customer, status, **{"notice" if status == 200 else "error": WORDS[lang][outcome]}
    )
