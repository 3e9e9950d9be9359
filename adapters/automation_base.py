"""A store platform's automation tool (Shopify Flow): the triggers Sadakat fires in it, the actions it asks
of Sadakat, and which triggers a shop's workflows use. A platform without one has none in the registry
(``adapters.automation``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.base import ShopAccess


@dataclass(frozen=True)
class ActionRequest:
    """The automation tool asks Sadakat to act: once per ``run_id``, in the shop at ``domain``."""

    run_id: str
    handle: str
    domain: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class TriggerUse:
    """Whether a shop's workflows use one of our triggers now (the tool's lifecycle callback)."""

    domain: str
    handle: str
    enabled: bool


class Automation(Protocol):
    """The platform's automation tool."""

    platform: str
    """The platform whose shops use it (``shopify``)."""

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Iterable[str]) -> bool:
        """Whether a request comes from the tool, signed with one of the app's ``secrets``."""
        ...

    def read_action(self, handle: str, payload: Mapping[str, Any]) -> ActionRequest:
        """An action request; PayloadError names what is missing."""
        ...

    def read_trigger_use(self, payload: Mapping[str, Any]) -> TriggerUse:
        """A lifecycle callback; PayloadError names what is missing."""
        ...

    def customer_id(self, given: str) -> str:
        """The store's customer id from what the tool sends (a GraphQL id or a number)."""
        ...

    def fire(self, shop: ShopAccess, handle: str, payload: dict[str, Any]) -> str | None:
        """Fire the trigger ``handle`` with ``payload`` in the shop's tool."""
        ...
