"""Deliveries to a merchant's URL, signed as Standard Webhooks: headers ``webhook-id`` (the same on every
retry), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body`` under the secret after ``whsec_``), and the body ``{"type", "timestamp", "data"}``.
Sent only to public addresses (adapters.outbound), never following a redirect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC

import requests

from adapters import outbound
from adapters.base import PermanentStoreError, RetryableStoreError
from adapters.destination_base import DestinationAccess, DestinationRefused, Message

SECRET_PREFIX = "whsec_"
RETRY_STATUSES = frozenset({408, 429})


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header for a body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def body(message: Message) -> bytes:
    """The delivery's body: the event's type, when it happened and its data."""
    stamp = message.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": message.type, "timestamp": stamp, "data": message.data}, separators=(",", ":")).encode()


class StandardWebhooks:
    """A URL the merchant subscribed."""

    kind = "webhook"

    def deliver(self, access: DestinationAccess, message: Message) -> str | None:
        """POST the event, signed. 2xx is delivered; 408, 429, 5xx and network errors may pass; other 4xx not."""
        payload = body(message)
        timestamp = int(message.timestamp.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "Sadakat-Webhooks/1",
            "webhook-id": message.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(access.secret, message.id, timestamp, payload),
        }
        try:
            answer = outbound.session(access.allow_private).post(
                access.url, data=payload, headers=headers, timeout=outbound.TIMEOUT
            )
        except requests.RequestException as exc:
            if outbound.was_refused(exc):
                raise PermanentStoreError("the endpoint's address is not a public internet address") from None
            raise RetryableStoreError(f"the endpoint could not be reached ({type(exc).__name__})", 5) from None
        status = answer.status_code
        if 200 <= status < 300:
            return str(status)
        said = answer.text[:200].strip()
        reason = f"the endpoint answered {status}" + (f": {said}" if said else "")
        if status in RETRY_STATUSES or status >= 500:
            raise RetryableStoreError(reason, _retry_after(answer.headers.get("retry-after")))
        raise PermanentStoreError(reason)

    def check(self, access: DestinationAccess) -> None:
        """A URL must be https (http only where private addresses are allowed, for development)."""
        if not access.url.startswith("https://") and not (access.allow_private and access.url.startswith("http://")):
            raise DestinationRefused("the URL must start with https://")
        host = access.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if not host:
            raise DestinationRefused("the URL has no host name")
        if not access.allow_private and outbound.resolves_privately(host):
            raise DestinationRefused("the URL's address is not a public internet address")


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 0), 1.0), 3600.0)
    except ValueError:
        return 1.0
