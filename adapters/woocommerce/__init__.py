"""WooCommerce: the adapter, made of `webhooks` (inbound) and `api` (calls to the store)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from adapters import outbound
from adapters.base import (
    Envelope,
    InstallCallback,
    InstallError,
    InstallStart,
    ModuleAdapter,
    PermanentStoreError,
    ShopAccess,
    ShopAddress,
    StoreError,
    Tokens,
)
from adapters.woocommerce import api, webhooks
from connector.config import Config

MAX_STORE_URL = 400


class WooCommerceAdapter(ModuleAdapter):
    """The WooCommerce platform (REST API v3)."""

    webhooks = webhooks
    api = api

    platform = "woocommerce"
    credentials = ("consumer_key", "consumer_secret")
    topics = webhooks.TOPICS

    def address(self, raw: str) -> ShopAddress:
        """A store is named by its site URL (host and any sub-folder WordPress lives in)."""
        if len(raw) > MAX_STORE_URL:
            raise ValueError(f"the store URL is too long (at most {MAX_STORE_URL} characters)")
        try:
            parts = urlsplit(raw.strip())
            port = parts.port
        except ValueError:
            raise ValueError(f"{raw!r} is not a store URL (expected https://your-store.example)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{raw!r} is not a store URL (expected https://your-store.example)")
        if parts.username or parts.password:
            raise ValueError("the store URL must not contain a user name or password")
        if parts.query or parts.fragment:
            raise ValueError("the store URL must not have a query or fragment")
        hostname = parts.hostname.lower()
        if ":" not in hostname:  # a name, not an IPv6 address: in its ASCII (IDNA) form
            try:
                hostname = hostname.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"{raw[:200]!r} is not a store URL: its host name can't be a domain") from None
        host = (f"[{hostname}]" if ":" in hostname else hostname) + (f":{port}" if port else "")
        path = parts.path.rstrip("/")
        return ShopAddress(domain=host + path, base_url=f"{parts.scheme}://{host}{path}")

    def webhook_path(self, shop_id: int) -> str:
        """WooCommerce doesn't name the shop in a signed header, so each shop has its own path."""
        return f"/webhooks/woocommerce/{shop_id}"

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Every WooCommerce webhook has its own secret; there is no app-wide one."""
        return []

    def names_other_shop(self, payload: Mapping[str, Any], domain: str) -> bool:
        """Each store signs with a secret of its own: a body can't be replayed for another."""
        return False

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """WooCommerce's ``X-WC-Webhook-*`` headers."""
        return webhooks.read_envelope(headers, body)

    def deliver_code_note(self, shop: ShopAccess, order_id: str, message: str) -> str | None:
        """A note on the order that reaches the customer, where the store sends those."""
        return api.add_note(shop, order_id, message)

    def start_install(self, params: Mapping[str, str], state: str, config: Config) -> InstallStart:
        """Validate ``?store_url=`` (https only) and send the merchant to WooCommerce's key approval page."""
        try:
            address = self.address(params.get("store_url") or "")
        except ValueError as exc:
            raise InstallError(str(exc)) from None
        if not address.base_url.startswith("https://"):
            raise InstallError("the store URL must use https: WooCommerce sends the API keys to us over it")
        host = urlsplit(address.base_url).hostname or ""
        if not config.allow_private_store_addresses and outbound.resolves_privately(host):
            raise InstallError("the store URL must name a store on the public internet")
        query = urlencode(
            {
                "app_name": "Sadakat",
                "scope": "read_write",
                "user_id": state,
                "return_url": f"{config.public_url}/woocommerce/return",
                "callback_url": f"{config.public_url}/woocommerce/callback",
            }
        )
        return InstallStart(address=address, url=f"{address.base_url}/wc-auth/v1/authorize?{query}")

    def read_install_callback(self, params: Mapping[str, str], body: bytes, config: Config) -> InstallCallback:
        """WooCommerce posts the new keys, with our one-time state as ``user_id``; it signs nothing."""
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InstallError("the callback body is not JSON") from None
        except RecursionError:
            raise InstallError("the callback body is nested too deeply") from None
        if not isinstance(payload, dict):
            raise InstallError("the callback body is not a JSON object")
        values = {name: payload.get(name) for name in ("user_id", "consumer_key", "consumer_secret", "key_permissions")}
        missing = [name for name, value in values.items() if not isinstance(value, str | int) or value == ""]
        if missing:
            raise InstallError(f"the callback is missing {', '.join(missing)}")
        return InstallCallback(
            state=str(values.pop("user_id")), address=None, params={k: str(v) for k, v in values.items()}
        )

    def complete_install(self, callback: InstallCallback, address: ShopAddress, config: Config) -> Tokens:
        """Check the keys can read and write by listing the store's webhooks with them."""
        if callback.params["key_permissions"] != "read_write":
            raise InstallError(f"the key has {callback.params['key_permissions']} access; Sadakat needs read_write")
        credentials = {name: callback.params[name] for name in ("consumer_key", "consumer_secret")}
        shop = ShopAccess(
            shop_id=0,
            domain=address.domain,
            base_url=address.base_url,
            credentials=credentials,
            allow_private=config.allow_private_store_addresses,
        )
        try:
            api.list_webhooks(shop)
        except StoreError:
            # Nothing of the far side's answer (status, body, timing) is repeated to whoever posted this.
            raise InstallError(f"{api.NOT_A_STORE} with the keys it sent") from None
        return Tokens(credentials=credentials)

    def after_install_url(self, address: ShopAddress, config: Config) -> str | None:
        """WooCommerce's callback wants a plain 200."""
        return None

    def refresh_tokens(self, shop: ShopAccess, refresh_token: str, config: Config) -> Tokens:
        """WooCommerce keys don't expire."""
        raise PermanentStoreError("WooCommerce keys don't expire; nothing to refresh")

    def changed_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders modified since ``since``, as the webhooks that would have carried them."""
        return api.changed_orders(shop, since)

    def past_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders placed since ``since`` (``GET orders?after=``), as webhook payloads, for backfill."""
        return api.changed_orders(shop, since, field="date")

    def missing_webhooks(self, shop: ShopAccess, webhook_url: str) -> list[str]:
        """Topics with no active webhook at ``webhook_url`` (disabled ones count as missing)."""
        return api.missing_webhooks(shop, webhook_url)

    def register_webhooks(self, shop: ShopAccess, webhook_url: str, secret: str | None) -> list[str]:
        """Create missing webhooks and re-enable ones WooCommerce disabled after failed deliveries."""
        return api.register_webhooks(shop, webhook_url, secret or "")
