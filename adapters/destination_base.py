"""The one interface every destination of the programme's events implements (a URL signed as Standard
Webhooks, Klaviyo): deliver one message, and check at set-up that the destination accepts us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class DestinationAccess:
    """Where a destination is and the secret it shares with us (a signing secret, an API key)."""

    url: str
    secret: str
    allow_private: bool = False


@dataclass(frozen=True)
class Message:
    """One message to a destination: an event (its type, id, time and data), or a member's profile
    (type ``profile``, the member in ``data``)."""

    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]


PROFILE = "profile"


class DestinationRefused(ValueError):
    """The destination refused us at set-up; the message is its reason, in words."""


class EventDestinationService(Protocol):
    """A destination of events, by kind (``webhook``, ``klaviyo``)."""

    kind: str

    def deliver(self, access: DestinationAccess, message: Message) -> str | None:
        """Send ``message``. RetryableStoreError for what may pass (5xx, 408, 429, a timeout), PermanentStoreError
        for a refusal; returns the destination's id for what it made, if any."""
        ...

    def check(self, access: DestinationAccess) -> None:
        """Whether the destination accepts us (a key that works): DestinationRefused says why not."""
        ...
