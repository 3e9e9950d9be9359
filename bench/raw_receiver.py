"""The floor for ingest: the receiver's work for a valid Shopify order webhook, as bare WSGI with no
framework, run under the same gunicorn settings as the ceiling and Sadakat's receiver.

It reads the envelope, reads the shop, checks the signature and the JSON, commits the row and wakes the
drain through the same functions as connector/web/receiver.py, but has none of its checks for bad input,
error answers, metrics for refused requests or Flask. It is not a receiver: only what the work itself
costs, so that the harness can tell that cost from the framework's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from redis.client import Pipeline
from werkzeug.datastructures import EnvironHeaders

from adapters import get_adapter
from connector import create_app, inbox
from connector.inbox import signing_shops
from connector.queue.telemetry import add_webhook
from connector.web.runtime import Runtime

_sadakat = create_app()
_runtime: Runtime = _sadakat.extensions["sadakat"]
_adapter = get_adapter("shopify")


def _count(pipe: Pipeline) -> None:
    add_webhook(pipe, "shopify", "orders/paid", "accepted")
    _runtime.later_counts.put_into(pipe)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """POST /webhooks/shopify with a valid order; anything else goes to Sadakat's app."""
    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/webhooks/shopify":
        return _sadakat(environ, start_response)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    envelope = _adapter.read_envelope(EnvironHeaders(environ), body)
    shop = signing_shops.by_domain(_runtime.storage, "shopify", envelope.shop_domain or "")
    if shop is None or not _adapter.verify(body, envelope.signature, shop.secrets) or not envelope.delivery_id:
        start_response("401 Unauthorized", [("Content-Length", "0")])
        return [b""]
    inbox.decode_json(body)
    stored = inbox.store(_runtime.storage, shop.id, envelope.delivery_id, envelope.topic, body, "pending")
    if _runtime.drain_memo.seen_recently():
        _runtime.later_counts.add(_runtime.redis, "shopify", "orders/paid", "accepted")
    else:
        _runtime.drain_memo.wake(_runtime.queue, also=_count)
    answer = b'{"status":"accepted","event_id":%d}' % (stored.event_id or 0)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
