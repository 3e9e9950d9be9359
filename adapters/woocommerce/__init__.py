"""WooCommerce: the adapter, made of `webhooks` (inbound) and `api` (calls to the store)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.base import (
    CustomerSync,
    DiscountCode,
    Envelope,
    ShopAccess,
    ShopAddress,
    TrackingPush,
    hmac_sha256_base64_matches,
)
from adapters.woocommerce import api, webhooks
from connector.config import Config
from connector.model import StoreEvent


class WooCommerceAdapter:
    """The WooCommerce platform (REST API v3)."""

    platform = "woocommerce"
    credentials = ("consumer_key", "consumer_secret")
    topics = webhooks.TOPICS

    def address(self, raw: str) -> ShopAddress:
        """A store is named by its site URL (host and any sub-folder WordPress lives in)."""
        parts = urlsplit(raw.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{raw!r} is not a store URL (expected https://your-store.example)")
        if parts.username or parts.password:
            raise ValueError("the store URL must not contain a user name or password")
        if parts.query or parts.fragment:
            raise ValueError("the store URL must not have a query or fragment")
        host = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
        path = parts.path.rstrip("/")
        return ShopAddress(domain=host + path, base_url=f"{parts.scheme}://{host}{path}")

    def webhook_path(self, shop_id: int) -> str:
        """WooCommerce doesn't name the shop in a signed header, so each shop has its own path."""
        return f"/webhooks/woocommerce/{shop_id}"

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Every WooCommerce webhook has its own secret; there is no app-wide one."""
        return []

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """WooCommerce's ``X-WC-Webhook-*`` headers."""
        return webhooks.read_envelope(headers, body)

    def verify(self, body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
        """``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of the raw body."""
        return hmac_sha256_base64_matches(body, signature, secrets)

    def parse(self, topic: str, payload: dict[str, Any]) -> StoreEvent:
        """Order webhooks into the neutral model."""
        return webhooks.parse(topic, payload)

    def find_discount_code(self, shop: ShopAccess, code: str) -> str | None:
        """``GET coupons?code=``."""
        return api.find_discount_code(shop, code)

    def create_discount_code(self, shop: ShopAccess, discount: DiscountCode) -> str:
        """``POST coupons``."""
        return api.create_discount_code(shop, discount)

    def push_tracking(self, shop: ShopAccess, push: TrackingPush) -> str | None:
        """Shipment Tracking extension, else order notes to the customer."""
        return api.push_tracking(shop, push)

    def sync_customer(self, shop: ShopAccess, sync: CustomerSync) -> None:
        """``PUT customers/<id>`` meta data."""
        api.sync_customer(shop, sync)
