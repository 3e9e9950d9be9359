"""Shopify Flow: our triggers fired with ``flowTriggerReceive``, and Flow's requests (actions and trigger
lifecycle callbacks) verified as Shopify signs them (``X-Shopify-Hmac-Sha256``, the base64 HMAC-SHA256 of
the body with the app's client secret)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adapters.automation_base import ActionRequest, TriggerUse
from adapters.base import PayloadError, ShopAccess, hmac_sha256_base64_matches
from adapters.shopify import queries
from adapters.shopify.api import ShopifyGraphQL

SIGNATURE = "X-Shopify-Hmac-Sha256"
CUSTOMER_GID = "gid://shopify/Customer/"


def _text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise PayloadError(f"{name} is missing")
    return str(value).strip()


class ShopifyFlow:
    """Shopify Flow, for Shopify shops."""

    platform = "shopify"

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Iterable[str]) -> bool:
        """The request's HMAC against the app's client secrets."""
        return hmac_sha256_base64_matches(body, headers.get(SIGNATURE), secrets)

    def read_action(self, handle: str, payload: Mapping[str, Any]) -> ActionRequest:
        """Flow's action request: ``action_run_id``, ``shopify_domain`` and ``properties``."""
        properties = payload.get("properties")
        if not isinstance(properties, dict):
            raise PayloadError("properties are missing")
        return ActionRequest(_text(payload, "action_run_id"), handle, _text(payload, "shopify_domain"), properties)

    def read_trigger_use(self, payload: Mapping[str, Any]) -> TriggerUse:
        """Flow's lifecycle callback: ``flow_trigger_definition_id``, ``has_enabled_flow``, ``shopify_domain``."""
        enabled = payload.get("has_enabled_flow")
        if not isinstance(enabled, bool):
            raise PayloadError("has_enabled_flow is missing")
        return TriggerUse(_text(payload, "shopify_domain"), _text(payload, "flow_trigger_definition_id"), enabled)

    def customer_id(self, given: str) -> str:
        """``gid://shopify/Customer/123`` or ``123`` → ``123``."""
        number = given.strip().removeprefix(CUSTOMER_GID)
        if not number.isdigit():
            raise PayloadError("customer_id is not a Shopify customer")
        return number

    def fire(self, shop: ShopAccess, handle: str, payload: dict[str, Any]) -> str | None:
        """``flowTriggerReceive``; Flow's userErrors are a PermanentStoreError."""
        ShopifyGraphQL(shop).mutate(
            queries.FLOW_TRIGGER_RECEIVE, {"handle": handle, "payload": payload}, "flowTriggerReceive"
        )
        return handle
