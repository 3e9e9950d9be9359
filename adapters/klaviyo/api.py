"""Klaviyo's REST API (JSON:API bodies, a ``revision`` header, a private key): events through Create Event
(which also sets the member's profile properties), a profile alone through Profile Import, many members'
profiles at once through Bulk Import Profiles, and the key checked with Get Accounts. 429 waits as long as
``Retry-After`` asks; a 400 is refused with Klaviyo's ``errors[]``."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import requests

from adapters import outbound
from adapters.base import PermanentStoreError, RetryableStoreError
from adapters.destination_base import PROFILE, DestinationAccess, DestinationRefused, Message

BASE_URL = "https://a.klaviyo.com"
REVISION = "2026-10-15"
JSON_API = "application/vnd.api+json"
METRICS = {
    "points.earned": "Loyalty Points Earned",
    "reward.issued": "Loyalty Reward Issued",
    "tier.changed": "Loyalty Tier Changed",
    "points.expiring": "Loyalty Points Expiring",
    "referral.completed": "Loyalty Referral Completed",
    "survey.answered": "Loyalty Survey Answered",
}


def _headers(key: str) -> dict[str, str]:
    return {
        "Authorization": f"Klaviyo-API-Key {key}",
        "revision": REVISION,
        "accept": JSON_API,
        "content-type": JSON_API,
    }


def errors_said(answer: requests.Response) -> str:
    """What Klaviyo's ``errors[]`` say, in its own words."""
    try:
        found = answer.json().get("errors") or []
    except ValueError:
        found = []
    said = "; ".join(str(e.get("detail") or e.get("title") or "") for e in found if isinstance(e, dict)).strip("; ")
    return said or f"Klaviyo answered {answer.status_code}"


def profile_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """The member as a Klaviyo profile: e-mail, their store id as ``external_id``, name and the loyalty
    properties (``data['klaviyo_properties']``)."""
    customer = data.get("customer") or {}
    attributes = {
        "email": customer.get("email"),
        "external_id": customer.get("id"),
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        "locale": customer.get("locale"),
        "properties": data.get("klaviyo_properties") or {},
    }
    return {name: value for name, value in attributes.items() if value not in (None, "")}


class Klaviyo:
    """A shop's Klaviyo account, reached with its private API key."""

    kind = "klaviyo"

    def _post(self, access: DestinationAccess, path: str, body: dict[str, Any]) -> requests.Response:
        try:
            answer = outbound.session(False).post(
                BASE_URL + path, json=body, headers=_headers(access.secret), timeout=outbound.TIMEOUT
            )
        except requests.RequestException as exc:
            raise RetryableStoreError(f"Klaviyo could not be reached ({type(exc).__name__})", 5) from None
        if answer.status_code == 429:
            wait = float(answer.headers.get("Retry-After") or 1)
            raise RetryableStoreError("Klaviyo asked us to slow down", wait, throttled=True)
        if answer.status_code >= 500 or answer.status_code == 408:
            raise RetryableStoreError(f"Klaviyo answered {answer.status_code}", 5)
        if answer.status_code >= 400:
            raise PermanentStoreError(f"Klaviyo refused it: {errors_said(answer)}")
        return answer

    def deliver(self, access: DestinationAccess, message: Message) -> str | None:
        """A profile through Profile Import; an event through Create Event, with the member's profile."""
        if message.type == PROFILE and "profiles" in message.data:
            return self._bulk_import(access, message.data["profiles"])
        attributes = profile_attributes(message.data)
        if not attributes.get("email") and not attributes.get("external_id"):
            raise PermanentStoreError("the member has neither an e-mail address nor a store account for Klaviyo")
        if message.type == PROFILE:
            answer = self._post(access, "/api/profile-import", {"data": {"type": "profile", "attributes": attributes}})
            return str(answer.json().get("data", {}).get("id") or "") or None
        properties = {k: v for k, v in message.data.items() if k not in ("customer", "klaviyo_properties", "shop")}
        event = {
            "properties": properties,
            "time": message.timestamp.astimezone(UTC).isoformat(),
            "unique_id": message.id,
            "metric": {"data": {"type": "metric", "attributes": {"name": METRICS[message.type]}}},
            "profile": {"data": {"type": "profile", "attributes": attributes}},
        }
        self._post(access, "/api/events", {"data": {"type": "event", "attributes": event}})
        return message.id

    def _bulk_import(self, access: DestinationAccess, profiles: list[dict[str, Any]]) -> str | None:
        """Many members' profiles in one Bulk Import Profiles job (202: Klaviyo imports them shortly)."""
        found = [profile_attributes(data) for data in profiles]
        usable = [{"type": "profile", "attributes": a} for a in found if a.get("email") or a.get("external_id")]
        if not usable:
            raise PermanentStoreError("none of the members has an e-mail address or a store account for Klaviyo")
        job = {"type": "profile-bulk-import-job", "attributes": {"profiles": {"data": usable}}}
        answer = self._post(access, "/api/profile-bulk-import-jobs", {"data": job})
        return str(answer.json().get("data", {}).get("id") or "") or None

    def check(self, access: DestinationAccess) -> None:
        """Ask Klaviyo for the account the key belongs to: a key it refuses is refused with its reason."""
        try:
            answer = outbound.session(False).get(
                BASE_URL + "/api/accounts", headers=_headers(access.secret), timeout=outbound.TIMEOUT
            )
        except requests.RequestException as exc:
            raise DestinationRefused(f"Klaviyo could not be reached ({type(exc).__name__}); try again") from None
        if answer.status_code >= 400:
            raise DestinationRefused(f"Klaviyo refused the key: {errors_said(answer)}")
