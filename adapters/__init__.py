"""Store platforms, each behind the :class:`adapters.base.StoreAdapter` protocol.

The rest of Sadakat asks this registry for an adapter by the platform name stored with a shop,
and never imports a platform module itself.
"""

from __future__ import annotations

from adapters.base import StoreAdapter, StorefrontProxy
from adapters.sandbox import SandboxAdapter
from adapters.shopify import ShopifyAdapter
from adapters.woocommerce import WooCommerceAdapter

_ADAPTERS: dict[str, StoreAdapter] = {
    adapter.platform: adapter for adapter in (ShopifyAdapter(), WooCommerceAdapter(), SandboxAdapter())
}


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
