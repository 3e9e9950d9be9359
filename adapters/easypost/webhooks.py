"""EasyPost ``tracker.created`` / ``tracker.updated`` events, verified and read.

Signature: ``X-Hmac-Signature: hmac-sha256-hex=<hex>``, the HMAC-SHA256 of the raw body with the webhook
secret, the secret NFKD-normalised first (as EasyPost's own client libraries do). The event's ``id`` is
our delivery id; ``result`` is the Tracker (``status``, ``status_detail``, ``tracking_details``,
``est_delivery_date``, ``public_url``); ``mode`` is ``test`` or ``production``.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from typing import Any

from adapters.base import PayloadError
from adapters.tracking_base import (
    CarrierCredentials,
    CarrierDelivery,
    detail,
    digest_matches,
    moment,
    optional,
    place,
    required,
    section,
    tracking_number,
    update,
)

SIGNATURE_HEADER = "X-Hmac-Signature"
EVENTS = ("tracker.created", "tracker.updated")

STATUSES: dict[str, str | None] = {
    "unknown": None,
    "pre_transit": "label_created",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "available_for_pickup": "available_for_pickup",
    "delivered": "delivered",
    "return_to_sender": "returned",
    "failure": "failure",
    "cancelled": None,  # the tracker was cancelled: nothing about the parcel
    "error": None,  # EasyPost could not read the carrier's tracking
}
HELD_UP = frozenset(
    {"delayed", "weather_delay", "held", "transit_exception", "address_correction", "awaiting_information", "missorted"}
)
LOST = frozenset({"lost", "damaged"})
COMING_BACK = frozenset({"return", "refused"})


def status_for(status: str, status_detail: str | None) -> str | None:
    """Our status for an EasyPost status and its ``status_detail`` (which can turn "in transit" into a delay,
    a loss or a return)."""
    ours = STATUSES[status]
    if ours in ("in_transit", "out_for_delivery"):
        if status_detail in LOST:
            return "failure"
        if status_detail in COMING_BACK:
            return "returned"
        if status_detail == "delivery_exception":
            return "attempted_delivery" if ours == "out_for_delivery" else "delayed"
        if status_detail in HELD_UP:
            return "delayed"
    return ours


class EasyPost:
    """EasyPost Trackers."""

    name = "easypost"
    label = "EasyPost"
    accepts_url_token = False

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """``hmac-sha256-hex=`` and the hex HMAC-SHA256 of the body with the NFKD-normalised secret."""
        if not credentials.secret:
            return False
        key = unicodedata.normalize("NFKD", credentials.secret).encode()
        expected = "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return digest_matches(expected, headers.get(SIGNATURE_HEADER))

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """A tracker's status; other events are acknowledged and ignored."""
        event = required(payload, "description")
        delivery_id = optional(payload, "id")
        delivery_id = str(delivery_id)[:128] if delivery_id else None
        if event not in EVENTS:
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"EasyPost's {str(event)[:64]} event")
        tracker = section(payload, "result")
        number = tracking_number(optional(tracker, "tracking_code"), "result.tracking_code")
        status = required(payload, "result.status")
        if status not in STATUSES:
            raise PayloadError(f"result.status must be one of {', '.join(STATUSES)}, got {str(status)[:64]!r}")
        status_detail = optional(tracker, "status_detail")
        ours = status_for(status, status_detail if isinstance(status_detail, str) else None)
        if ours is None:
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"EasyPost's {status} status says nothing new")
        details = [d for d in optional(tracker, "tracking_details") or [] if isinstance(d, Mapping)]
        last = details[-1] if details else {}
        where = last.get("tracking_location") if isinstance(last.get("tracking_location"), Mapping) else {}
        test = payload.get("mode") == "test" or tracker.get("mode") == "test"
        return CarrierDelivery(
            updates=(
                update(
                    number,
                    ours,
                    self.name,
                    carrier=tracker.get("carrier"),
                    tracking_url=tracker.get("public_url"),
                    happened_at=moment(last.get("datetime")) or moment(tracker.get("updated_at")),
                    location=place(where.get("city"), where.get("state"), where.get("country")),
                    estimated_delivery_at=moment(tracker.get("est_delivery_date")),
                    words=detail(status, status_detail),
                    test=test,
                ),
            ),
            delivery_id=delivery_id,
        )
