"""Sadakat's own tracking format: one status per webhook, signed with the shop's carrier secret.

``X-Sadakat-Signature`` is the base64 HMAC-SHA256 of the raw body; ``X-Sadakat-Delivery-Id`` (optional)
names the delivery so a repeat is dropped. The body::

    {"tracking_number": "1Z999AA10123456784", "status": "in_transit", "carrier": "UPS",
     "tracking_url": "https://...", "happened_at": "2026-01-02T10:00:00Z", "location": "Ankara",
     "estimated_delivery_at": "2026-01-04T00:00:00Z"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import PayloadError, hmac_sha256_base64_matches, text_field, time_field, url_field
from adapters.tracking_base import CarrierCredentials, CarrierDelivery
from connector.model import TRACKING_STATUSES, CarrierUpdate

SIGNATURE_HEADER = "X-Sadakat-Signature"


class GenericTracking:
    """Sadakat's own format (the generic carrier webhook)."""

    name = "sadakat"
    label = "Sadakat"
    accepts_url_token = False

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """The body's base64 HMAC-SHA256 with the shop's carrier secret."""
        secrets = [credentials.secret] if credentials.secret else []
        return hmac_sha256_base64_matches(body, headers.get(SIGNATURE_HEADER), secrets)

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """One update. No delivery id: a header isn't covered by the signature, so a captured body replayed
        with a new one would count as new; the receiver tells deliveries apart by the body's hash."""
        return CarrierDelivery(updates=(parse(payload),), delivery_id=None)


def parse(payload: dict[str, Any]) -> CarrierUpdate:
    """Validate a body in Sadakat's format."""
    number = text_field(payload.get("tracking_number"), 128)
    if not number:
        raise PayloadError("tracking_number is required")
    status = payload.get("status")
    if status not in TRACKING_STATUSES:
        raise PayloadError(f"status must be one of {', '.join(TRACKING_STATUSES)}, got {status!r}"[:300])
    happened_at = time_field(payload, "happened_at")
    if payload.get("happened_at") is not None and happened_at is None:
        raise PayloadError("happened_at must be an ISO 8601 time")
    if happened_at is not None and happened_at.tzinfo is None:
        raise PayloadError("happened_at must include a time zone")
    url = url_field(payload.get("tracking_url"))
    if url is None and text_field(payload.get("tracking_url"), 2000):
        raise PayloadError("tracking_url must be an http(s) URL")
    return CarrierUpdate(
        tracking_number=number,
        status=status,
        carrier=text_field(payload.get("carrier"), 128),
        tracking_url=url,
        happened_at=happened_at,
        location=text_field(payload.get("location"), 255),
        estimated_delivery_at=time_field(payload, "estimated_delivery_at"),
    )
