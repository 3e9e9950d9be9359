"""Shopify: the adapter, made of `webhooks` (inbound) and `api` (calls to the shop)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.base import (
    CustomerSync,
    DiscountCode,
    Envelope,
    ShopAccess,
    ShopAddress,
    TrackingPush,
    hmac_sha256_base64_matches,
)
from adapters.shopify import api, webhooks
from connector.config import Config
from connector.model import StoreEvent

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class ShopifyAdapter:
    """The Shopify platform."""

    platform = "shopify"
    credentials = ("access_token",)
    topics = webhooks.TOPICS

    def address(self, raw: str) -> ShopAddress:
        """A shop is named by its permanent ``<name>.myshopify.com`` domain."""
        domain = raw.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not SHOP_DOMAIN.match(domain):
            raise ValueError(f"{raw!r} is not a Shopify shop domain (expected <name>.myshopify.com)")
        return ShopAddress(domain=domain, base_url=f"https://{domain}")

    def webhook_path(self, shop_id: int) -> str:
        """Shopify names the shop in a header, so every shop shares one path."""
        return "/webhooks/shopify"

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Shopify signs webhooks with the app's API secret; during a rotation the previous one too."""
        return [s for s in (config.shopify_api_secret, config.shopify_api_secret_previous) if s]

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """Shopify's ``X-Shopify-*`` headers."""
        return webhooks.read_envelope(headers)

    def verify(self, body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
        """``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body."""
        return hmac_sha256_base64_matches(body, signature, secrets)

    def parse(self, topic: str, payload: dict[str, Any]) -> StoreEvent:
        """Orders, refunds and fulfillments into the neutral model."""
        return webhooks.parse(topic, payload)

    def find_discount_code(self, shop: ShopAccess, code: str) -> str | None:
        """``codeDiscountNodeByCode``."""
        return api.find_discount_code(shop, code)

    def create_discount_code(self, shop: ShopAccess, discount: DiscountCode) -> str:
        """``discountCodeBasicCreate`` or ``discountCodeFreeShippingCreate``."""
        return api.create_discount_code(shop, discount)

    def push_tracking(self, shop: ShopAccess, push: TrackingPush) -> str | None:
        """``fulfillmentTrackingInfoUpdate`` and ``fulfillmentEventCreate``."""
        return api.push_tracking(shop, push)

    def sync_customer(self, shop: ShopAccess, sync: CustomerSync) -> None:
        """``metafieldsSet`` and tier tags."""
        api.sync_customer(shop, sync)
