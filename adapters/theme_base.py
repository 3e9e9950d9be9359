"""What a platform's storefront theme can read of the programme (Shopify: a shop metafield that the theme
app extension's Liquid reads, so a product page says what it earns with no script). A platform without
themes that read it has no ``ThemeProgramme`` in the registry (``adapters.theme_programme``)."""

from __future__ import annotations

from typing import Any, Protocol

from adapters.base import ShopAccess


class ThemeProgramme(Protocol):
    """Writing the programme where the shop's theme reads it."""

    def publish(self, shop: ShopAccess, programme: dict[str, Any]) -> str | None:
        """Store ``programme`` (JSON) where the theme reads it; returns the store's id for it."""
        ...
