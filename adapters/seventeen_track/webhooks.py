"""17TRACK API v2 pushes (``TRACKING_UPDATED``, ``TRACKING_STOPPED``), verified and read.

Signature: the ``sign`` header is the hex SHA-256 of ``<raw body>/<API key>``. ``data.number`` is the
tracking number; ``data.track_info.latest_status`` holds ``status`` and ``sub_status``;
``latest_event`` the time and place; ``time_metrics.estimated_delivery_date`` the expected window.
17TRACK gives no id per push: a repeat is known by its body.
"""

from __future__ import annotations

import hashlib
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

SIGNATURE_HEADER = "sign"

STATUSES: dict[str, str | None] = {
    "NotFound": None,  # 17TRACK has found nothing for the number yet
    "InfoReceived": "label_created",
    "InTransit": "in_transit",
    "Expired": None,  # no news for a long time: says nothing about the parcel
    "AvailableForPickup": "available_for_pickup",
    "OutForDelivery": "out_for_delivery",
    "DeliveryFailure": "attempted_delivery",
    "Delivered": "delivered",
    "Exception": "failure",
}
SUB_STATUSES = {
    "InTransit_CustomsRequiringInformation": "delayed",
    "DeliveryFailure_Security": "failure",
    "DeliveryFailure_Rejected": "failure",
    "DeliveryFailure_InvalidAddress": "failure",
    "Exception_Returning": "returned",
    "Exception_Returned": "returned",
    "Exception_Delayed": "delayed",
    "Exception_Security": "delayed",  # held by customs or security
    "Exception_NoBody": "attempted_delivery",
}


class SeventeenTrack:
    """17TRACK."""

    name = "17track"
    label = "17TRACK"
    accepts_url_token = False

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """The hex SHA-256 of the body, a slash and the API key."""
        if not credentials.secret:
            return False
        expected = hashlib.sha256(body + b"/" + credentials.secret.encode()).hexdigest()
        return digest_matches(expected, (headers.get(SIGNATURE_HEADER) or "").lower() or None)

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """A tracking update; a stop (17TRACK no longer follows the number) is acknowledged and ignored."""
        event = required(payload, "event")
        if event != "TRACKING_UPDATED":
            return CarrierDelivery(ignored=f"17TRACK's {str(event)[:64]} event")
        number = tracking_number(optional(payload, "data.number"), "data.number")
        status = required(payload, "data.track_info.latest_status.status")
        if status not in STATUSES:
            raise PayloadError(
                f"data.track_info.latest_status.status must be one of {', '.join(STATUSES)}, got {str(status)[:64]!r}"
            )
        info = section(payload, "data.track_info")
        sub_status = optional(info, "latest_status.sub_status")
        ours = SUB_STATUSES.get(sub_status, STATUSES[status]) if isinstance(sub_status, str) else STATUSES[status]
        if ours is None:
            return CarrierDelivery(ignored=f"17TRACK's {status} status says nothing new")
        latest = optional(info, "latest_event") or {}
        latest = latest if isinstance(latest, Mapping) else {}
        providers = [p for p in optional(info, "tracking.providers") or [] if isinstance(p, Mapping)]
        carrier = optional(providers[0], "provider.name") if providers else None
        window = optional(info, "time_metrics.estimated_delivery_date") or {}
        window = window if isinstance(window, Mapping) else {}
        return CarrierDelivery(
            updates=(
                update(
                    number,
                    ours,
                    self.name,
                    carrier=carrier,
                    happened_at=moment(latest.get("time_utc")) or moment(latest.get("time_iso")),
                    location=place(latest.get("location")),
                    estimated_delivery_at=moment(window.get("to")) or moment(window.get("from")),
                    words=detail(status, sub_status, latest.get("description")),
                ),
            ),
        )
