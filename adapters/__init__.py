"""Store platforms, each behind the :class:`adapters.base.StoreAdapter` protocol, tracking services, each
behind :class:`adapters.tracking_base.TrackingService`, and the destinations of the programme's events, each
behind :class:`adapters.destination_base.EventDestinationService`.

The rest of Sadakat asks this registry for an adapter by the platform name stored with a shop (or the
service named in a carrier webhook's URL), and never imports a platform or service module itself.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from adapters.aftership import AfterShip
from adapters.automation_base import Automation
from adapters.base import StoreAdapter, StorefrontProxy
from adapters.credit_base import StoreCreditAccounts
from adapters.destination_base import EventDestinationService
from adapters.easypost import EasyPost
from adapters.generic_tracking import GenericTracking
from adapters.klaviyo import Klaviyo
from adapters.sandbox import SandboxAdapter
from adapters.seventeen_track import SeventeenTrack
from adapters.shippo import Shippo
from adapters.shopify import ShopifyAdapter, ShopifyFlow, ShopifyStoreCredit, ShopifyThemeProgramme
from adapters.standard_webhooks import StandardWebhooks
from adapters.theme_base import ThemeProgramme
from adapters.tracking_base import TrackingService
from adapters.woocommerce import WooCommerceAdapter

_SANDBOX = SandboxAdapter()
_ADAPTERS: dict[str, StoreAdapter] = {
    adapter.platform: adapter for adapter in (ShopifyAdapter(), WooCommerceAdapter(), _SANDBOX)
}


_STORE_CREDIT: dict[str, StoreCreditAccounts] = {"shopify": ShopifyStoreCredit(), "sandbox": _SANDBOX.store_credit}
_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce", "sandbox": "The sandbox store"}


_THEMES: dict[str, ThemeProgramme] = {"shopify": ShopifyThemeProgramme(), "sandbox": _SANDBOX.theme}


def theme_programme(platform: str) -> ThemeProgramme | None:
    """Where the platform's storefront themes read the programme, or None."""
    return _THEMES.get(platform)


_AUTOMATION: dict[str, Automation] = {"shopify": ShopifyFlow()}


def automation(platform: str) -> Automation | None:
    """The platform's automation tool (Shopify Flow), or None."""
    return _AUTOMATION.get(platform)


def automation_tools() -> list[Automation]:
    """Every platform's automation tool."""
    return list(_AUTOMATION.values())


def store_credit_accounts(platform: str) -> StoreCreditAccounts | None:
    """The platform's native store credit, or None where it has none."""
    return _STORE_CREDIT.get(platform)


def no_store_credit(platform: str) -> str:
    """What to tell a merchant whose platform has no store credit."""
    return f"{_NAMES.get(platform, platform)} has no store credit: use discount codes"


def demo_store() -> tuple[str, str]:
    """The platform and address of the store a newcomer tries Sadakat with: the sandbox's ``demo``."""
    return _SANDBOX.platform, "demo"


def use_database(engine: Callable[[], Engine]) -> None:
    """Hand the adapters that keep records of their own (the sandbox store) the database to keep them in:
    ``engine()`` gives this process's engine. Called where a process is put together (app, command line)."""
    _SANDBOX.records.bind(engine)


class UnknownPlatform(LookupError):
    """No adapter is registered under that platform name."""


def get_adapter(platform: str) -> StoreAdapter:
    """The adapter for ``platform``; UnknownPlatform names the ones there are."""
    try:
        return _ADAPTERS[platform]
    except KeyError:
        raise UnknownPlatform(f"unknown platform {platform!r}; known: {', '.join(sorted(_ADAPTERS))}") from None


def platforms() -> list[str]:
    """The names of every supported platform."""
    return sorted(_ADAPTERS)


def storefront_adapter() -> StorefrontProxy:
    """The platform whose storefronts reach Sadakat through an app proxy (``/proxy/...``): Shopify's."""
    return ShopifyAdapter()


GENERIC_TRACKING: TrackingService = GenericTracking()
_TRACKING_SERVICES: dict[str, TrackingService] = {
    service.name: service for service in (AfterShip(), EasyPost(), Shippo(), SeventeenTrack())
}


class UnknownTrackingService(LookupError):
    """No tracking service is registered under that name."""


def get_tracking_service(name: str) -> TrackingService:
    """The tracking service called ``name`` (``sadakat`` is our own format); UnknownTrackingService names
    the ones there are."""
    if name == GENERIC_TRACKING.name:
        return GENERIC_TRACKING
    try:
        return _TRACKING_SERVICES[name]
    except KeyError:
        known = ", ".join(_TRACKING_SERVICES)
        raise UnknownTrackingService(f"unknown tracking service {name[:40]!r}; known: {known}") from None


def tracking_services() -> list[TrackingService]:
    """Every tracking service a shop can connect (not our own format, which every shop has)."""
    return list(_TRACKING_SERVICES.values())


_DESTINATIONS: dict[str, EventDestinationService] = {
    service.kind: service for service in (StandardWebhooks(), Klaviyo())
}


def event_destination(kind: str) -> EventDestinationService:
    """The destination service of ``kind`` (``webhook``, ``klaviyo``)."""
    return _DESTINATIONS[kind]
