"""AfterShip Tracking webhooks (``tracking_update`` and ``edd_revise``), verified and read.

Signature: ``aftership-hmac-sha256`` is the base64 HMAC-SHA256 of the raw body with the webhook secret
(Settings → Webhooks). The body carries ``event``, ``event_id`` (one per event: our delivery id) and
``msg``, the tracking with its ``tag``, ``subtag`` and ``checkpoints``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import PayloadError, hmac_sha256_base64_matches
from adapters.tracking_base import (
    CarrierCredentials,
    CarrierDelivery,
    detail,
    moment,
    optional,
    place,
    required,
    section,
    tracking_number,
    update,
)

SIGNATURE_HEADER = "aftership-hmac-sha256"
EVENTS = ("tracking_update", "edd_revise")

TAGS: dict[str, str | None] = {
    "Pending": None,  # AfterShip has no news from the carrier yet
    "InfoReceived": "label_created",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    "AttemptFail": "attempted_delivery",
    "Delivered": "delivered",
    "AvailableForPickup": "available_for_pickup",
    "Exception": "failure",
    "Expired": None,  # no news from the carrier for 30 days: says nothing about the parcel
}
SUBTAGS = {
    # An exception's sub-tag says whether the parcel is held up, coming back, or in trouble.
    "Exception_004": "delayed",  # delayed (customs clearance)
    "Exception_005": "delayed",  # delayed (external factors)
    "Exception_006": "delayed",  # held for payment
    "Exception_008": "attempted_delivery",  # pick-up missed
    "Exception_010": "returned",  # returning to sender
    "Exception_011": "returned",  # returned to sender
}


class AfterShip:
    """AfterShip Tracking."""

    name = "aftership"
    label = "AfterShip"
    accepts_url_token = False

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """The base64 HMAC-SHA256 of the body with the webhook secret."""
        secrets = [credentials.secret] if credentials.secret else []
        return hmac_sha256_base64_matches(body, headers.get(SIGNATURE_HEADER), secrets)

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """A status (or estimated delivery) update; other events are acknowledged and ignored."""
        event = required(payload, "event")
        delivery_id = optional(payload, "event_id")
        delivery_id = str(delivery_id) if delivery_id else None
        if event not in EVENTS:
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"AfterShip's {str(event)[:64]} event")
        msg = section(payload, "msg")
        number = tracking_number(msg.get("tracking_number"), "msg.tracking_number")
        tag = required(payload, "msg.tag")
        if tag not in TAGS:
            raise PayloadError(f"msg.tag must be one of {', '.join(TAGS)}, got {str(tag)[:64]!r}")
        subtag = optional(msg, "subtag")
        status = SUBTAGS.get(subtag, TAGS[tag]) if isinstance(subtag, str) else TAGS[tag]
        if status is None:
            return CarrierDelivery(delivery_id=delivery_id, ignored=f"AfterShip's {tag} tag says nothing new")
        checkpoints = [c for c in msg.get("checkpoints") or [] if isinstance(c, Mapping)]
        last = checkpoints[-1] if checkpoints else {}
        happened_at = moment(last.get("checkpoint_time")) or moment(payload.get("ts"))
        return CarrierDelivery(
            updates=(
                update(
                    number,
                    status,
                    self.name,
                    carrier=msg.get("slug"),
                    tracking_url=msg.get("courier_tracking_link") or msg.get("aftership_tracking_url"),
                    happened_at=happened_at,
                    location=place(last.get("location"))
                    or place(last.get("city"), last.get("state"), last.get("country_region_name")),
                    estimated_delivery_at=_estimated_delivery(msg),
                    words=detail(tag, subtag, msg.get("subtag_message")),
                ),
            ),
            delivery_id=delivery_id,
        )


def _estimated_delivery(msg: Mapping[str, Any]) -> Any:
    for path in (
        "latest_estimated_delivery.datetime",
        "latest_estimated_delivery.datetime_max",
        "courier_estimated_delivery_date.estimated_delivery_date",
        "aftership_estimated_delivery_date.estimated_delivery_date",
        "expected_delivery",
    ):
        found = moment(optional(msg, path))
        if found is not None:
            return found
    return None
