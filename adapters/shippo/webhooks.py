"""Shippo ``track_updated`` webhooks, verified and read.

Signature (when the merchant has Shippo sign webhooks): ``Shippo-Auth-Signature: t=<unix>,v1=<hex>``, the
hex HMAC-SHA256 of ``<t>.<raw body>`` with the signing key, refused more than five minutes from now.
Without signing, a per-shop token in the webhook URL's ``token`` query stands in; a signature header that
is present must verify even then. ``data`` is the Track (``tracking_number``, ``carrier``, ``eta``,
``tracking_status`` with its ``status`` and ``substatus.code``); ``test`` marks Shippo's test mode.
"""

from __future__ import annotations

import hashlib
import hmac
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
from connector import signed

SIGNATURE_HEADER = "Shippo-Auth-Signature"
TOLERANCE_SECONDS = 300

STATUSES: dict[str, str | None] = {
    "PRE_TRANSIT": "label_created",
    "TRANSIT": "in_transit",
    "DELIVERED": "delivered",
    "RETURNED": "returned",
    "FAILURE": "failure",
    "UNKNOWN": None,
}
SUBSTATUSES = {
    # In transit, a sub-status can mean the parcel is out for delivery, waiting, held up or in trouble.
    "out_for_delivery": "out_for_delivery",
    "delivery_attempted": "attempted_delivery",
    "notice_left": "attempted_delivery",
    "pickup_available": "available_for_pickup",
    "delayed": "delayed",
    "package_held": "delayed",
    "address_issue": "delayed",
    "contact_carrier": "delayed",
    "location_inaccessible": "delayed",
    "reschedule_delivery": "delayed",
    "delivery_rescheduled": "delayed",
    "package_damaged": "failure",
    "package_lost": "failure",
    "package_undeliverable": "failure",
    "package_disposed": "failure",
    "return_to_sender": "returned",
}


def status_for(status: str, substatus: str | None) -> str | None:
    """Our status for a Shippo status and its sub-status code."""
    ours = STATUSES[status]
    if ours == "in_transit" and substatus in SUBSTATUSES:
        return SUBSTATUSES[substatus]
    if ours == "failure" and substatus in ("delivery_attempted", "notice_left"):
        return "attempted_delivery"
    return ours


class Shippo:
    """Shippo tracking."""

    name = "shippo"
    label = "Shippo"
    accepts_url_token = True

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """The signature when there is one (and fresh); otherwise the URL token."""
        header = headers.get(SIGNATURE_HEADER)
        if header is not None:
            return _signed(header, body, credentials.secret, now)
        return bool(credentials.token) and digest_matches(credentials.token or "", token)

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """A tracking status; other events are acknowledged and ignored."""
        event = required(payload, "event")
        track = payload.get("data")
        delivery_id = optional(track, "tracking_status.object_id")
        delivery_id = f"shippo:{str(delivery_id)[:100]}" if delivery_id else None
        if event != "track_updated":
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"Shippo's {str(event)[:64]} event")
        track = section(payload, "data")
        number = tracking_number(optional(track, "tracking_number"), "data.tracking_number")
        status = required(payload, "data.tracking_status.status")
        if status not in STATUSES:
            raise PayloadError(
                f"data.tracking_status.status must be one of {', '.join(STATUSES)}, got {str(status)[:64]!r}"
            )
        substatus = optional(track, "tracking_status.substatus.code")
        ours = status_for(status, substatus if isinstance(substatus, str) else None)
        if ours is None:
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"Shippo's {status} status says nothing new")
        where = optional(track, "tracking_status.location") or {}
        where = where if isinstance(where, Mapping) else {}
        return CarrierDelivery(
            updates=(
                update(
                    number,
                    ours,
                    self.name,
                    carrier=track.get("carrier"),
                    tracking_url=track.get("tracking_url_provider"),
                    happened_at=moment(optional(track, "tracking_status.status_date")),
                    location=place(where.get("city"), where.get("state"), where.get("country")),
                    estimated_delivery_at=moment(track.get("eta")),
                    words=detail(status, substatus, optional(track, "tracking_status.status_details")),
                    test=payload.get("test") is True,
                ),
            ),
            delivery_id=delivery_id,
        )


def _signed(header: str, body: bytes, secret: str | None, now: float) -> bool:
    if not secret:
        return False
    fields = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    stamp, given = fields.get("t", ""), fields.get("v1")
    when = signed.timestamp(stamp)
    if when is None or abs(now - when) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return digest_matches(expected, given)
