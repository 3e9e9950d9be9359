"""Installing Sadakat from a store: Shopify OAuth and WooCommerce's key exchange, one flow for both.

``GET /<platform>/install`` (WooCommerce also ``/woocommerce/connect``) issues a one-time state, kept in
Redis for ten minutes, and sends the merchant to the store. The store's callback is verified by the
adapter (Shopify's hmac, timestamp and domain; WooCommerce signs nothing, so only the state vouches for
it), the state is taken (a replay finds it gone), credentials are obtained and stored encrypted, and the
store's webhooks are registered through the outbox. Any failure is a 400 page saying what failed, and
nothing is stored.
"""

from __future__ import annotations

import json
import secrets

from flask import Blueprint, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from markupsafe import escape
from redis.exceptions import RedisError

from adapters import UnknownPlatform, get_adapter
from adapters.base import InstallError, ShopAddress
from connector.ops import shops
from connector.outbox import pushes
from connector.web.runtime import runtime

bp = Blueprint("install", __name__)
STATE_SECONDS = 600
STATE_PREFIX = "sadakat:install-state:"
RATE_PREFIX = "sadakat:install-starts:"
STARTS_PER_WINDOW = 20


def page(status: int, title: str, message: str) -> Response:
    """A small HTML page for the merchant's browser."""
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Sadakat: {escape(title)}</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem'>"
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>"
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/<platform>/install")
@bp.get("/<platform>/connect")
def begin(platform: str) -> ResponseReturnValue:
    """Validate the store the merchant named and send them to approve Sadakat there."""
    try:
        adapter = get_adapter(platform)
    except UnknownPlatform as exc:
        return page(404, "Unknown platform", str(exc))
    state = secrets.token_urlsafe(24)
    try:
        if _too_many_starts(request.remote_addr or "unknown"):
            return page(429, "Too many installs", "Too many installs were started from your address. Try again later.")
        start = adapter.start_install(request.args, state, runtime().config)
    except InstallError as exc:
        return page(400, "Can't start the install", str(exc))
    except RedisError:
        return page(503, "Try again in a moment", "Sadakat can't keep the install's state right now.")
    issued = {"platform": platform, "domain": start.address.domain, "base_url": start.address.base_url}
    try:
        runtime().redis.set(STATE_PREFIX + state, json.dumps(issued), ex=STATE_SECONDS, nx=True)
    except RedisError:
        return page(503, "Try again in a moment", "Sadakat can't keep the install's state right now.")
    return redirect(start.url, code=302)


def _too_many_starts(client: str) -> bool:
    """Each start keeps a state in Redis: at most STARTS_PER_WINDOW per client address in STATE_SECONDS."""
    key = f"{RATE_PREFIX}{client}"
    with runtime().redis.pipeline() as pipe:
        count, _ = pipe.incr(key).expire(key, STATE_SECONDS, nx=True).execute()
    return int(count) > STARTS_PER_WINDOW


@bp.route("/<platform>/callback", methods=["GET", "POST"])
def callback(platform: str) -> ResponseReturnValue:
    """The store's answer: verify it, take the one-time state, store credentials, register webhooks."""
    try:
        adapter = get_adapter(platform)
    except UnknownPlatform as exc:
        return page(404, "Unknown platform", str(exc))
    config = runtime().config
    try:
        answer = adapter.read_install_callback(request.args, request.get_data(cache=False), config)
    except InstallError as exc:
        return page(400, "Install failed", str(exc))
    if len(answer.state) > 200 or not answer.state.isprintable():
        return page(400, "Install failed", "the callback's state is malformed")
    try:
        raw = runtime().redis.getdel(STATE_PREFIX + answer.state)
    except RedisError:
        return page(503, "Try again in a moment", "Sadakat can't check the install's state right now.")
    if raw is None:
        return page(
            400, "Install failed", "the install's state is unknown, expired or already used: start the install again"
        )
    issued = json.loads(raw)
    if issued["platform"] != platform or (answer.address and answer.address.domain != issued["domain"]):
        return page(400, "Install failed", "the install's state was issued for another store")
    address = ShopAddress(domain=issued["domain"], base_url=issued["base_url"])
    try:
        tokens = adapter.complete_install(answer, address, config)
    except InstallError as exc:
        return page(400, "Install failed", str(exc))
    shop, push_id = shops.install_shop(runtime().storage, config, platform, address, tokens)
    pushes.dispatch(runtime().storage, runtime().queue, [(push_id, shop.id)])
    then = adapter.after_install_url(address, config)
    if then:
        return redirect(then, code=302)
    return jsonify(status="installed", shop_id=shop.id), 200


@bp.get("/<platform>/return")
def returned(platform: str) -> ResponseReturnValue:
    """Where WooCommerce sends the merchant back after approving (or refusing) the keys."""
    if request.args.get("success") == "0":
        return page(200, "Not connected", "You didn't approve Sadakat's access. You can connect again at any time.")
    return page(200, "Connected", "Sadakat is connected to your store. Points start with the next order.")
