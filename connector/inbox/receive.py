"""Receiving: a webhook body decoded once and stored durably, once per delivery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.base import PayloadError
from connector.db.storage import Storage, insert_once
from connector.db.tables import WebhookEvent, utcnow


@dataclass(frozen=True)
class Stored:
    """The outcome of storing one delivery: its row id, or None when it was a repeat."""

    event_id: int | None
    status: str

    @property
    def duplicate(self) -> bool:
        """Whether this delivery id had been stored before."""
        return self.event_id is None


MAX_INT_DIGITS = 40


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"a number in the body has more than {MAX_INT_DIGITS} digits")
    return int(text)


def decode_json(body: bytes) -> dict[str, Any]:
    """A webhook body as a JSON object, money kept exact; PayloadError says why not."""
    try:
        payload = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=_bounded_int)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise PayloadError("body is nested too deeply") from None
    except ValueError as exc:  # from _bounded_int
        raise PayloadError(str(exc)) from None
    if not isinstance(payload, dict):
        raise PayloadError(f"body is JSON but not an object (got {type(payload).__name__})")
    return payload


def store(storage: Storage, shop_id: int, delivery_id: str, topic: str, body: bytes, status: str) -> Stored:
    """Commit the event to the inbox unless this shop already has that delivery id."""
    row = {
        "shop_id": shop_id,
        "delivery_id": delivery_id,
        "topic": topic,
        "body": body,
        "status": status,
        "attempts": 0,
        "received_at": utcnow(),
    }
    # One INSERT in autocommit (connector/db/direct_statements.py): committed once this returns.
    inserted = storage.direct.first(_insert_once(storage.dialect), row)
    return Stored(event_id=inserted[0] if inserted else None, status=status)


def _insert_once(dialect: str) -> Any:
    return insert_once(dialect, WebhookEvent.__table__, STORED_COLUMNS, ("shop_id", "delivery_id"), ("id",))


STORED_COLUMNS = ("shop_id", "delivery_id", "topic", "body", "status", "attempts", "received_at")
