"""The webhook receiver: verify, store durably and once, acknowledge, then wake the inbox drain."""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from redis.client import Pipeline
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from adapters import UnknownPlatform, get_adapter
from adapters.base import Envelope, PayloadError, StoreAdapter, hmac_sha256_base64_matches
from connector import inbox
from connector.db.tables import WebhookEvent
from connector.inbox import signing_shops
from connector.inbox.signing_shops import SigningShop
from connector.queue.drain import drain_seen_recently, wake_drain
from connector.queue.telemetry import add_later_counts, add_webhook, count_webhook, count_webhook_later
from connector.settle import tracking
from connector.web.errors import problem
from connector.web.runtime import runtime

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

MAX_HEADER_VALUE = 255
MAX_SHOP_ID = 2**31 - 1
MAX_ID = 64
NOT_VERIFIED = "unknown shop or the signature does not match its secret"


@bp.post("/<platform>")
@bp.post("/<platform>/<int:shop_id>")
def receive(platform: str, shop_id: int | None = None) -> ResponseReturnValue:
    """Receive one webhook. 2xx only once the event is committed; 401 for unknown shop or bad signature."""
    try:
        adapter = get_adapter(platform)
    except UnknownPlatform as exc:
        return problem(404, str(exc))
    g.webhook_platform = adapter.platform
    body = request.get_data(cache=False)
    envelope = adapter.read_envelope(request.headers, body)
    shop = _find_shop(adapter, envelope, shop_id)
    if shop is not None and envelope.is_ping:
        g.webhook_outcome = "ping"
        return jsonify(status="ping"), 200
    secrets = (shop.secrets or adapter.app_webhook_secrets(runtime().config)) if shop else ()
    if shop is None or not adapter.verify(body, envelope.signature, secrets):
        return problem(401, NOT_VERIFIED)  # an unknown shop and a bad signature look alike
    if not envelope.topic:
        return problem(400, "the webhook has no topic header")
    if len(envelope.topic) > 128 or not envelope.topic.isprintable():
        return problem(400, "the topic header is too long or has control characters")
    if envelope.topic in adapter.topics:
        g.webhook_topic = envelope.topic  # only topics we know: a metric label an attacker can't multiply
    try:
        payload = inbox.decode_json(body)
    except PayloadError as exc:
        return problem(400, str(exc))
    if not shop.secrets and adapter.names_other_shop(payload, shop.domain):
        return problem(401, NOT_VERIFIED)  # signed with the app's secret, but for another of its shops
    if len(str(payload.get("id", ""))) > MAX_ID:
        return problem(400, f"the id is longer than any the store uses (at most {MAX_ID} characters)")
    delivery_id = envelope.delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
    if len(delivery_id) > MAX_HEADER_VALUE or not delivery_id.isprintable():
        return problem(400, "the delivery id header is too long or has control characters")
    status = WebhookEvent.PENDING if envelope.topic in adapter.topics else WebhookEvent.IGNORED
    return _store_and_queue(shop.id, delivery_id, envelope.topic, body, status)


@bp.post("/carrier/<int:shop_id>")
def receive_carrier(shop_id: int) -> ResponseReturnValue:
    """A carrier's or tracking service's status update for one of the shop's parcels, signed with the
    shop's carrier secret (``X-Sadakat-Signature``: base64 HMAC-SHA256 of the body)."""
    g.webhook_platform, g.webhook_topic = "carrier", tracking.CARRIER_TOPIC
    body = request.get_data(cache=False)
    secret = signing_shops.carrier_secret(runtime().storage, shop_id) if 0 < shop_id <= MAX_SHOP_ID else None
    if not secret or not hmac_sha256_base64_matches(body, request.headers.get("X-Sadakat-Signature"), [secret]):
        return problem(401, NOT_VERIFIED)
    try:
        tracking.parse_carrier_update(inbox.decode_json(body))
    except (PayloadError, tracking.CarrierUpdateError) as exc:
        return problem(400, str(exc))
    delivery_id = request.headers.get("X-Sadakat-Delivery-Id") or "sha256:" + hashlib.sha256(body).hexdigest()
    if len(delivery_id) > MAX_HEADER_VALUE or not delivery_id.isprintable():
        return problem(400, "the delivery id header is too long or has control characters")
    return _store_and_queue(shop_id, delivery_id, tracking.CARRIER_TOPIC, body, WebhookEvent.PENDING)


OUTCOMES = {400: "invalid", 401: "unauthorized", 404: "not_found", 413: "too_large", 503: "unavailable"}


@bp.after_request
def _count(response: Response) -> Response:
    if g.get("webhook_counted"):
        return response
    outcome = OUTCOMES.get(response.status_code, "error" if response.status_code >= 500 else str(response.status_code))
    if response.status_code == 200:
        outcome = g.get("webhook_outcome", "accepted")
    platform = g.get("webhook_platform", "unknown")
    count_webhook(runtime().redis, platform, g.get("webhook_topic", "other"), outcome)
    return response


def _store_and_queue(shop_id: int, delivery_id: str, topic: str, body: bytes, status: str) -> ResponseReturnValue:
    try:
        stored = inbox.store(runtime().storage, shop_id, delivery_id, topic, body, status)
    except IntegrityError:
        return problem(401, NOT_VERIFIED)  # the shop was removed since the receiver looked it up
    if stored.duplicate:
        g.webhook_outcome = "duplicate"
        return jsonify(status="duplicate"), 200
    if status == WebhookEvent.PENDING:
        platform, topic_label = g.get("webhook_platform", "unknown"), g.get("webhook_topic", "other")
        if drain_seen_recently():
            # A drain is on its way and will look again after this commit (connector/queue/drain.py).
            count_webhook_later(runtime().redis, platform, topic_label, "accepted")
            g.webhook_counted = True
        else:
            try:
                # Wake the drain and count this webhook (and those kept for later) in one round trip.
                wake_drain(runtime().queue, also=lambda pipe: _count_accepted(pipe, platform, topic_label))
            except RedisError as exc:
                # Committed already: the sweeper queues it once Redis is back.
                log.warning("event %s stored but not queued (%s); the sweeper will queue it", stored.event_id, exc)
    g.webhook_outcome = "accepted" if status == WebhookEvent.PENDING else "ignored"
    return jsonify(status=g.webhook_outcome, event_id=stored.event_id), 200


def _count_accepted(pipe: Pipeline, platform: str, topic: str) -> None:
    add_webhook(pipe, platform, topic, "accepted")
    add_later_counts(pipe)
    # Counted from here on, even if queueing the drain fails after this pipeline went out; if the pipeline
    # itself fails, Redis is down and counting again after the request would fail too.
    g.webhook_counted = True


def _find_shop(adapter: StoreAdapter, envelope: Envelope, shop_id: int | None) -> SigningShop | None:
    domain = envelope.shop_domain
    if domain and (len(domain) > MAX_HEADER_VALUE or not domain.isprintable()):
        return None  # no shop is called that (and PostgreSQL can't even search for a NUL)
    if shop_id is not None:
        shop = signing_shops.by_id(runtime().storage, shop_id) if 0 < shop_id <= MAX_SHOP_ID else None
        if shop is None or shop.platform != adapter.platform:
            return None
        if domain and domain != shop.domain:
            return None
        return shop
    return signing_shops.by_domain(runtime().storage, adapter.platform, domain) if domain else None
