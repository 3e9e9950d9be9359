"""The webhook receiver: verify, store durably and once, acknowledge, then wake the inbox drain. And what a
store's automation tool (Shopify Flow) asks: an action (add points, set a tier), and which of our triggers
its workflows use."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from redis.client import Pipeline
from redis.exceptions import RedisError
from werkzeug.datastructures import EnvironHeaders

from adapters import (
    GENERIC_TRACKING,
    UnknownPlatform,
    UnknownTrackingService,
    automation,
    automation_tools,
    get_adapter,
    get_tracking_service,
)
from adapters.automation_base import Automation
from adapters.base import Envelope, PayloadError, StoreAdapter
from connector import inbox
from connector.db import storage
from connector.db.storage import Storage
from connector.inbox import signing_shops
from connector.inbox.signing_shops import SigningShop
from connector.inputs import MAX_SHOP_ID
from connector.model import tracking_key
from connector.ops import WebhookEvent
from connector.ops.after_delivery import unmatched_news
from connector.ops.customers import adjustments, set_tier
from connector.ops.merchants import destinations
from connector.outbox import pushes
from connector.queue.connection import current_queue
from connector.queue.telemetry import add_webhook, count_webhook
from connector.settle import tracking
from connector.web.errors import problem
from connector.web.runtime import Runtime, runtime

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
flow = Blueprint("automation", __name__)
FLOW = "Shopify Flow"

MAX_HEADER_VALUE = 255
MAX_ID = 64
MAX_CARRIER_BYTES = 64 * 1024
NOT_VERIFIED = "unknown shop or the signature does not match its secret"


@bp.post("/<platform>")
@bp.post("/<platform>/<shop_id:shop_id>")
def receive(platform: str, shop_id: int | None = None) -> ResponseReturnValue:
    """Receive one webhook. 2xx only once the event is committed; 401 for unknown shop or bad signature."""
    try:
        adapter = get_adapter(platform)
    except UnknownPlatform as exc:
        return problem(404, str(exc))
    g.webhook_platform = adapter.platform
    body = request.get_data(cache=False)
    envelope = adapter.read_envelope(request.headers, body)
    if envelope.is_ping:  # answered alike for every shop id, so pings can't tell which shops exist
        g.webhook_outcome = "ping"
        return jsonify(status="ping"), 200
    shop = _find_shop(runtime().storage, adapter, envelope, shop_id)
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


@bp.post("/carrier/<shop_id:shop_id>")
@bp.post("/carrier/<shop_id:shop_id>/<service_name>")
def receive_carrier(shop_id: int, service_name: str = GENERIC_TRACKING.name) -> ResponseReturnValue:
    """Parcel news for one of the shop's shipments: in Sadakat's own format (signed with the shop's carrier
    secret, ``X-Sadakat-Signature``), or from a tracking service in its format, verified its way.

    200 once stored; 202 ``unmatched`` when no shipment of the shop has the tracking number (kept, and
    applied if the shipment appears within 14 days); 200 ``ignored`` for what carries no news."""
    try:
        service = get_tracking_service(service_name)
    except UnknownTrackingService as exc:
        return problem(404, str(exc))
    topic = tracking.carrier_topic(service.name)
    g.webhook_platform, g.webhook_topic = "carrier", topic
    if (request.content_length or 0) > MAX_CARRIER_BYTES:
        return problem(413, f"parcel news is at most {MAX_CARRIER_BYTES // 1024} KB")
    body = request.get_data(cache=False)
    if len(body) > MAX_CARRIER_BYTES:
        return problem(413, f"parcel news is at most {MAX_CARRIER_BYTES // 1024} KB")
    storage = runtime().storage
    credentials = signing_shops.carrier_credentials(storage, shop_id, service.name)
    token = request.args.get("token")
    if credentials is None or not service.verify(request.headers, body, credentials, token, time.time()):
        return problem(401, NOT_VERIFIED)
    try:
        delivery = service.read(request.headers, inbox.decode_json(body))
    except PayloadError as exc:
        return problem(400, str(exc))
    if not delivery.updates:
        g.webhook_outcome = "ignored"
        return jsonify(status="ignored", reason=delivery.ignored), 200
    if delivery.delivery_id is None:  # the service sends no id of its own: the same body is the same delivery
        delivery_id = f"{service.name}:sha256:" + hashlib.sha256(body).hexdigest()
    else:
        delivery_id = f"{service.name}:{delivery.delivery_id}"
    if len(delivery_id) > MAX_HEADER_VALUE or not delivery_id.isprintable():
        return problem(400, "the delivery id is too long or has control characters")
    matched = all(
        signing_shops.has_shipment(storage, shop_id, tracking_key(news.tracking_number)) for news in delivery.updates
    )
    if not matched and unmatched_news.over_the_day_limit(runtime().redis, storage, shop_id):
        g.webhook_outcome = "unmatched_not_kept"
        return jsonify(status="unmatched", kept=False), 202
    response = _store_and_queue(shop_id, delivery_id, topic, body, WebhookEvent.PENDING)
    if matched or g.get("webhook_outcome") != "accepted":
        return response
    g.webhook_outcome = "unmatched"
    event_id = response[0].get_json()["event_id"]
    return jsonify(status="unmatched", event_id=event_id), 202


OUTCOMES = {400: "invalid", 401: "unauthorized", 404: "not_found", 413: "too_large", 503: "unavailable"}


@bp.after_request
def _count(response: Response) -> Response:
    if g.get("webhook_counted"):
        return response
    outcome = OUTCOMES.get(response.status_code, "error" if response.status_code >= 500 else str(response.status_code))
    if response.status_code in (200, 202):
        outcome = g.get("webhook_outcome", "accepted")
    platform = g.get("webhook_platform", "unknown")
    count_webhook(runtime().redis, platform, g.get("webhook_topic", "other"), outcome)
    return response


def _store_and_queue(shop_id: int, delivery_id: str, topic: str, body: bytes, status: str) -> ResponseReturnValue:
    try:
        stored = inbox.store(runtime().storage, shop_id, delivery_id, topic, body, status)
    except storage.DUPLICATE:
        return problem(401, NOT_VERIFIED)  # the shop was removed since the receiver looked it up
    if stored.duplicate:
        g.webhook_outcome = "duplicate"
        return jsonify(status="duplicate"), 200
    if status == WebhookEvent.PENDING:
        platform, topic_label = g.get("webhook_platform", "unknown"), g.get("webhook_topic", "other")
        if runtime().drain_memo.seen_recently():
            # A drain is on its way and will look again after this commit (connector/queue/drain.py).
            runtime().later_counts.add(runtime().redis, platform, topic_label, "accepted")
            g.webhook_counted = True
        else:
            try:
                # Wake the drain and count this webhook (and those kept for later) in one round trip.
                runtime().drain_memo.wake(
                    runtime().queue, also=lambda pipe: _count_accepted(pipe, platform, topic_label)
                )
            except RedisError as exc:
                # Committed already: the sweeper queues it once Redis is back.
                log.warning("event %s stored but not queued (%s); the sweeper will queue it", stored.event_id, exc)
    g.webhook_outcome = "accepted" if status == WebhookEvent.PENDING else "ignored"
    return jsonify(status=g.webhook_outcome, event_id=stored.event_id), 200


def _count_accepted(pipe: Pipeline, platform: str, topic: str) -> None:
    add_webhook(pipe, platform, topic, "accepted")
    runtime().later_counts.put_into(pipe)
    # Counted from here on, even if queueing the drain fails after this pipeline went out; if the pipeline
    # itself fails, Redis is down and counting again after the request would fail too.
    g.webhook_counted = True


def _find_shop(storage: Storage, adapter: StoreAdapter, envelope: Envelope, shop_id: int | None) -> SigningShop | None:
    domain = envelope.shop_domain
    if domain and (len(domain) > MAX_HEADER_VALUE or not domain.isprintable()):
        return None  # no shop is called that (and PostgreSQL can't even search for a NUL)
    if shop_id is not None:
        shop = signing_shops.by_id(storage, shop_id)
        if shop is None or shop.platform != adapter.platform:
            return None
        if domain and domain != shop.domain:
            return None
        return shop
    return signing_shops.by_domain(storage, adapter.platform, domain) if domain else None


class FastPath:
    """The receiver's common case answered before Flask's request machinery (about a quarter of a webhook's
    CPU): a store's webhook for a topic Sadakat reads, signed, readable and new, passing every check
    ``receive`` makes, stored, the drain woken and the webhook and request counted as ``receive`` and the
    app's hooks do. Anything else (a ping, a failed check, a topic it ignores, another route) goes on to the
    app untouched (the body handed on), which answers it as it always has; a repeat is answered here."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.runtime: Runtime = app.extensions["sadakat"]
        self.max_bytes = int(app.config["MAX_CONTENT_LENGTH"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith("/webhooks/"):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        try:
            answer = self._receive(environ, path.split("/")[2:], started)
        except Exception:  # the database or Redis away, say: the app answers it, mapping the error as always
            answer = None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, body = answer
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")])  # fmt: skip
        return [body]

    def _receive(self, environ: dict[str, Any], parts: list[str], started: float) -> tuple[str, bytes] | None:
        if not 1 <= len(parts) <= 2 or (len(parts) == 2 and not (parts[1].isascii() and parts[1].isdigit())):
            return None
        shop_id = int(parts[1]) if len(parts) == 2 else None
        if shop_id is not None and not 1 <= shop_id <= MAX_SHOP_ID:
            return None
        try:
            adapter = get_adapter(parts[0])
            size = int(environ.get("CONTENT_LENGTH") or -1)
        except (UnknownPlatform, ValueError):
            return None
        if not 0 <= size <= self.max_bytes:
            return None
        body = environ["wsgi.input"].read(size)
        environ["wsgi.input"] = io.BytesIO(body)  # for the app, should it be the one to answer
        envelope = adapter.read_envelope(EnvironHeaders(environ), body)
        topic, rt = envelope.topic, self.runtime
        if envelope.is_ping or not topic or topic not in adapter.topics:
            return None
        shop = _find_shop(rt.storage, adapter, envelope, shop_id)
        secrets = (shop.secrets or adapter.app_webhook_secrets(rt.config)) if shop else ()
        if shop is None or not adapter.verify(body, envelope.signature, secrets):
            return None
        try:
            payload = inbox.decode_json(body)
        except PayloadError:
            return None
        if not shop.secrets and adapter.names_other_shop(payload, shop.domain):
            return None
        delivery_id = envelope.delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
        if len(str(payload.get("id", ""))) > MAX_ID or len(delivery_id) > MAX_HEADER_VALUE:
            return None
        if not delivery_id.isprintable():
            return None
        try:
            stored = inbox.store(rt.storage, shop.id, delivery_id, topic, body, WebhookEvent.PENDING)
        except storage.DUPLICATE:
            return None  # the shop was removed since it was looked up: the app says so
        if stored.duplicate:
            answer = b'{"status":"duplicate"}\n'
            with contextlib.suppress(RedisError):
                count_webhook(rt.redis, adapter.platform, topic, "duplicate")
        else:
            answer = b'{"status":"accepted","event_id":%d}\n' % stored.event_id
            self._wake(adapter.platform, topic, stored.event_id)
        with contextlib.suppress(RedisError):
            rt.later_counts.add_request(rt.redis, bp.name, 200, time.perf_counter() - started)
        return "200 OK", answer

    def _wake(self, platform: str, topic: str, event_id: int | None) -> None:
        rt = self.runtime
        if rt.drain_memo.seen_recently():
            rt.later_counts.add(rt.redis, platform, topic, "accepted")
            return
        try:
            rt.drain_memo.wake(rt.queue, also=lambda pipe: (add_webhook(pipe, platform, topic, "accepted"),
                                                               rt.later_counts.put_into(pipe)))  # fmt: skip
        except RedisError as exc:
            log.warning("event %s stored but not queued (%s); the sweeper will queue it", event_id, exc)


def _automation_request(platform: str) -> tuple[Automation, dict[str, Any]]:
    """The automation tool and the request's JSON, verified; ``abort`` with the reason otherwise."""
    tool = automation(platform)
    if tool is None:
        abort(make_response(problem(404, f"{platform[:40]} has no automation tool Sadakat works with")))
    body = request.get_data(cache=False)
    if not tool.verify(request.headers, body, get_adapter(tool.platform).app_webhook_secrets(runtime().config)):
        abort(make_response(problem(401, "the request is not signed with the app's secret")))
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        abort(make_response(problem(400, "the body must be a JSON object")))
    return tool, payload


AUTOMATED = "any(" + ", ".join(tool.platform for tool in automation_tools()) + ")"
"""The platforms with an automation tool (Shopify, for Flow), as a URL converter."""


@flow.post(f"/<{AUTOMATED}:platform>/flow/actions/<handle>")
def flow_action(platform: str, handle: str) -> ResponseReturnValue:
    """An action a workflow runs: ``add-loyalty-points`` (customer_id, points, reason) or ``set-loyalty-tier``
    (customer_id, tier, until). Idempotent by ``action_run_id``; a refusal says why, for Flow to show."""
    tool, payload = _automation_request(platform)
    if handle not in ("add-loyalty-points", "set-loyalty-tier"):
        return problem(404, f"no action {handle[:40]!r}")
    try:
        action = tool.read_action(handle, payload)
        customer = tool.customer_id(str(action.properties.get("customer_id") or ""))
    except PayloadError as exc:
        return problem(400, str(exc))
    storage_ = runtime().storage
    shop_id, member = destinations.member_by_store_id(storage_, tool.platform, action.domain, customer)
    props = action.properties
    if handle == "add-loyalty-points":
        reason = props.get("reason") or "Shopify Flow"
        done = adjustments.adjust(storage_, shop_id, member, props.get("points"), reason, f"flow:{action.run_id}"[:100],
                                  FLOW, source=FLOW)  # fmt: skip
        pushes.dispatch(storage_, current_queue(runtime().config), done.pushes)
        return jsonify(status="done", points=done.points, balance=done.balance, repeated=done.repeated)
    changed, asked = set_tier.set_tier(storage_, shop_id, member, props.get("tier"), props.get("until"),
                                       props.get("reason"), FLOW, FLOW)  # fmt: skip
    pushes.dispatch(storage_, current_queue(runtime().config), asked)
    return jsonify(status="done", changed=changed)


@flow.post(f"/<{AUTOMATED}:platform>/flow/lifecycle")
def flow_lifecycle(platform: str) -> ResponseReturnValue:
    """Flow says whether a shop's workflows use one of our triggers: we fire it only for shops that do."""
    tool, payload = _automation_request(platform)
    try:
        use = tool.read_trigger_use(payload)
    except PayloadError as exc:
        return problem(400, str(exc))
    if not destinations.flow_trigger_used(runtime().storage, tool.platform, use.domain, use.handle, use.enabled):
        return problem(404, "the shop has not installed Sadakat")
    return jsonify(status="noted")
