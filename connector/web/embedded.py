"""Sadakat inside Shopify's admin (an embedded app). Shopify opens ``/shopify/admin?shop=…&host=…&id_token=…``
in an iframe: the session token (``id_token``) is verified and the shop's own pages load inside, each request
made by ``embedded.js`` with a fresh session token from App Bridge (``shopify.idToken()``) in its
``Authorization`` header, never a cookie (an iframe's third-party cookies are blocked). The staff member the
token names reaches that shop only, as its owner, and is the actor of each change. Shopify may frame these
pages; nothing else may."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request
from flask.typing import ResponseReturnValue

from adapters import storefront_adapter
from connector.web.admin.auth import shopify_staff
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("embedded", __name__)
APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
"""Shopify's App Bridge: loaded from Shopify's own CDN, as Shopify requires of embedded apps."""
SHOPIFY_ADMIN = "https://admin.shopify.com"


def frame_policy(domain: str) -> str:
    """The content security policy of an embedded page: our own style and script, App Bridge, requests to us,
    and framing by the shop's admin only."""
    return (
        f"default-src 'none'; style-src 'self'; script-src 'self' https://cdn.shopify.com; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors https://{domain} {SHOPIFY_ADMIN}"
    )


@bp.get("/shopify/admin")
def admin() -> ResponseReturnValue:
    """The embedded app's entry: the shop's page, inside Shopify's admin, for the staff member the session
    token names; a shop that hasn't finished installing goes through OAuth first (at the top level)."""
    token = request.args.get("id_token") or ""
    access = shopify_staff(token)
    shop_domain = (request.args.get("shop") or "").strip().lower()
    if access is None or not access.roles:
        if shop_domain.endswith(".myshopify.com") and token.count(".") == 2 and _signed_for(token, shop_domain):
            install = "/shopify/install?" + urlencode({"shop": shop_domain})
            page = render_template("admin/embedded.html", t=text_for(), install=install, shop_id=None, api_key=_key())
            return _framed(Response(page), shop_domain)
        return problem(401, "open Sadakat from your Shopify admin")
    [shop_id] = access.roles
    page = render_template("admin/embedded.html", t=text_for(), install=None, shop_id=shop_id, api_key=_key())
    return _framed(Response(page), g.embedded_in)


def _signed_for(token: str, domain: str) -> bool:
    """Whether ``token`` is a valid session token for ``domain`` (whose install isn't finished)."""
    try:
        found, customer, _ = storefront_adapter().session_customer(token, runtime().config)
    except Exception:
        return False
    return found == domain and customer is None


def _key() -> str:
    return runtime().config.shopify_api_key or ""


def _framed(response: Response, domain: str) -> Response:
    response.headers["Content-Security-Policy"] = frame_policy(domain)
    response.headers["Cache-Control"] = "no-store"
    return response
