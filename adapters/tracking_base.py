"""The one interface every tracking service implements (its webhooks in, verified its own way), and the
readers their formats share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from adapters.base import PayloadError, text_field, url_field
from connector import signed
from connector.model import TRACKING_STATUSES, CarrierUpdate


@dataclass(frozen=True)
class CarrierCredentials:
    """What a shop set up for one tracking service: the secret it signs with, and (for a service that may
    send unsigned webhooks) a token in the webhook URL."""

    secret: str | None
    token: str | None = None


@dataclass(frozen=True)
class CarrierDelivery:
    """One webhook of a tracking service, read: its parcel news in the neutral model, the service's id for
    the delivery (so a repeat is dropped), or why there is nothing in it for Sadakat."""

    updates: tuple[CarrierUpdate, ...] = ()
    delivery_id: str | None = None
    ignored: str | None = None
    """Why the webhook carries no news we use (another event type, a status that says nothing yet)."""


class TrackingService(Protocol):
    """A tracking service (AfterShip, EasyPost, ...) that pushes parcel news to
    ``/webhooks/carrier/<shop id>/<name>``."""

    name: str
    """The service's name in the webhook URL and in the CLI (``aftership``)."""
    label: str
    """The name people know it by (``AfterShip``)."""
    accepts_url_token: bool
    """Whether a token in the webhook URL may stand in for a signature (for webhooks the service doesn't sign)."""

    def verify(
        self, headers: Mapping[str, str], body: bytes, credentials: CarrierCredentials, token: str | None, now: float
    ) -> bool:
        """Whether the webhook comes from the service, as the service signs (``now``: Unix seconds)."""
        ...

    def read(self, headers: Mapping[str, str], payload: dict[str, Any]) -> CarrierDelivery:
        """The webhook in the neutral model; PayloadError names what is missing or wrong."""
        ...


def digest_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two signatures as text."""
    return given is not None and signed.same(expected, given.strip())


def required(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` of nested objects; PayloadError naming the path if it isn't there."""
    value = obj
    for name in path.split("."):
        if not isinstance(value, Mapping) or value.get(name) in (None, ""):
            raise PayloadError(f"{path} is missing")
        value = value[name]
    return value


def section(obj: Any, path: str) -> Mapping[str, Any]:
    """The object at a dotted ``path``; PayloadError naming the path if it is missing or not an object."""
    value = required(obj, path)
    if not isinstance(value, Mapping):
        raise PayloadError(f"{path} must be an object")
    return value


def optional(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` of nested objects, or None."""
    value = obj
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def tracking_number(value: Any, path: str) -> str:
    """A tracking number as we keep it; PayloadError naming ``path`` if there is none."""
    number = text_field(value, 128) if isinstance(value, str) else None
    if not number:
        raise PayloadError(f"{path} is missing")
    return number


def moment(value: Any) -> datetime | None:
    """An ISO 8601 time (a time without an offset is taken as UTC) or Unix seconds; None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2**33:
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def place(*parts: Any) -> str | None:
    """A location from its parts (city, state, country), skipping the empty ones."""
    words = [text_field(part, 100) for part in parts if isinstance(part, str)]
    return text_field(", ".join(word for word in words if word), 255)


def detail(*parts: Any) -> str | None:
    """The service's own words for a status, as one line (``Exception / Exception_013``)."""
    words = [text_field(part, 120) for part in parts if isinstance(part, str)]
    return text_field(" / ".join(word for word in words if word), 255)


def update(
    number: str,
    status: str,
    service: str,
    *,
    carrier: Any = None,
    tracking_url: Any = None,
    happened_at: datetime | None = None,
    location: str | None = None,
    estimated_delivery_at: datetime | None = None,
    words: str | None = None,
    test: bool = False,
) -> CarrierUpdate:
    """A neutral update from what a service's format gave (text cleaned, links only if http(s))."""
    assert status in TRACKING_STATUSES, status
    return CarrierUpdate(
        tracking_number=number,
        status=status,
        carrier=text_field(carrier, 128),
        tracking_url=url_field(tracking_url),
        happened_at=happened_at,
        location=location,
        estimated_delivery_at=estimated_delivery_at,
        service=service,
        detail=words,
        test=test,
    )
