"""Shopify: the adapter, made of `webhooks` (inbound) and `api` (calls to the shop)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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
from adapters.shopify import api, oauth, session_tokens, store_credit, webhooks
from adapters.shopify.flow import ShopifyFlow
from connector.config import Config
from connector.model import StoreCredit

__all__ = ["ShopifyAdapter", "ShopifyFlow", "ShopifyStoreCredit", "ShopifyThemeProgramme"]

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class ShopifyStoreCredit:
    """Shopify's native store credit accounts."""

    scopes = store_credit.SCOPES

    def credit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """``storeCreditAccountCredit``."""
        return store_credit.credit(shop, credit)

    def debit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """``storeCreditAccountDebit``."""
        return store_credit.debit(shop, credit)

    def balance(self, shop: ShopAccess, customer_id: str, currency: str) -> Decimal:
        """The customer's account in ``currency``."""
        return store_credit.balance(shop, customer_id, currency)


class ShopifyThemeProgramme:
    """The shop metafield ``sadakat.programme`` (JSON), read by the theme app extension's Liquid."""

    def publish(self, shop: ShopAccess, programme: dict[str, Any]) -> str | None:
        """``metafieldsSet`` on the shop (its id read first)."""
        return api.set_shop_metafield(shop, "programme", programme)


class ShopifyAdapter(ModuleAdapter):
    """The Shopify platform."""

    webhooks = webhooks
    api = api

    platform = "shopify"
    credentials = ("access_token",)
    topics = webhooks.TOPICS

    def address(self, raw: str) -> ShopAddress:
        """A shop is named by its permanent ``<name>.myshopify.com`` domain."""
        domain = raw.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not SHOP_DOMAIN.fullmatch(domain):
            raise ValueError(f"{raw!r} is not a Shopify shop domain (expected <name>.myshopify.com)")
        return ShopAddress(domain=domain, base_url=f"https://{domain}")

    def webhook_path(self, shop_id: int) -> str:
        """Shopify names the shop in a header, so every shop shares one path."""
        return "/webhooks/shopify"

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Shopify signs webhooks with the app's API secret; during a rotation the previous one too."""
        return [s for s in (config.shopify_api_secret, config.shopify_api_secret_previous) if s]

    def names_other_shop(self, payload: Mapping[str, Any], domain: str) -> bool:
        """Shopify's header naming the shop isn't signed; where the body names its shop (an order's status
        page on its myshopify.com domain, a shop's ``myshopify_domain``, a privacy request's
        ``shop_domain``), it must be the header's."""
        named = [payload.get("myshopify_domain"), payload.get("shop_domain")]
        status_url = payload.get("order_status_url")
        if isinstance(status_url, str):
            with contextlib.suppress(ValueError):  # not a URL: names no shop
                named.append(urlsplit(status_url).hostname)
        return any(
            isinstance(name, str) and name.lower().endswith(".myshopify.com") and name.lower() != domain
            for name in named
        )

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """Shopify's ``X-Shopify-*`` headers."""
        return webhooks.read_envelope(headers)

    def deliver_code_note(self, shop: ShopAccess, order_id: str, message: str) -> str | None:
        """A note on the order that reaches the customer, where the store sends those."""
        # Shopify has no customer note that reaches the customer; the code goes by e-mail instead.
        return None

    def start_install(self, params: Mapping[str, str], state: str, config: Config) -> InstallStart:
        """Validate ``?shop=`` and send the merchant to Shopify's authorize page."""
        if not config.shopify_api_key or not config.shopify_api_secret:
            raise InstallError("Shopify installs need SHOPIFY_API_KEY and SHOPIFY_API_SECRET to be configured")
        try:
            address = self.address(params.get("shop") or "")
        except ValueError as exc:
            raise InstallError(str(exc)) from None
        url = oauth.authorize_url(
            address.domain,
            config.shopify_api_key,
            config.shopify_scopes,
            f"{config.public_url}/shopify/callback",
            state,
        )
        return InstallStart(address=address, url=url)

    def read_install_callback(self, params: Mapping[str, str], body: bytes, config: Config) -> InstallCallback:
        """Check the callback's hmac, timestamp and shop domain."""
        oauth.verify_callback(params, self.app_webhook_secrets(config))
        try:
            address = self.address(params["shop"])
        except ValueError as exc:
            raise InstallError(f"the callback's shop is not a Shopify shop domain: {exc}") from None
        return InstallCallback(state=params["state"], address=address, params=dict(params))

    def complete_install(self, callback: InstallCallback, address: ShopAddress, config: Config) -> Tokens:
        """Exchange the code for an expiring offline token."""
        assert config.shopify_api_key and config.shopify_api_secret
        try:
            return oauth.exchange_code(
                address.domain, config.shopify_api_key, config.shopify_api_secret, callback.params["code"]
            )
        except StoreError as exc:
            raise InstallError(f"Shopify did not grant an access token: {exc}") from None

    def after_install_url(self, address: ShopAddress, config: Config) -> str | None:
        """The app's page in the shop's admin."""
        return f"https://{address.domain}/admin/apps/{config.shopify_api_key}"

    def storefront_customer(self, params: Mapping[str, list[str]], config: Config) -> tuple[str, str | None]:
        """Verify an app proxy request: (shop domain, logged-in customer id or None). InstallError if not Shopify's."""
        oauth.verify_proxy(params, self.app_webhook_secrets(config))
        try:
            domain = self.address((params.get("shop") or [""])[0]).domain
        except ValueError as exc:
            raise InstallError(str(exc)) from None
        customer = (params.get("logged_in_customer_id") or [""])[0]
        return domain, customer or None

    def session_customer(self, token: str, config: Config) -> tuple[str, str | None, str | None]:
        """Verify a session token (an extension's, or the embedded admin's) with the app's secrets and client id."""
        verified = session_tokens.verify(token, self.app_webhook_secrets(config), config.shopify_api_key)
        return verified.domain, verified.customer_id, verified.subject

    def refresh_tokens(self, shop: ShopAccess, refresh_token: str, config: Config) -> Tokens:
        """A fresh expiring access token."""
        if not config.shopify_api_key or not config.shopify_api_secret:
            raise PermanentStoreError("refreshing a Shopify token needs SHOPIFY_API_KEY and SHOPIFY_API_SECRET")
        return oauth.refresh(shop.domain, config.shopify_api_key, config.shopify_api_secret, refresh_token)

    def changed_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders modified since ``since``, as the webhooks that would have carried them."""
        return api.orders_since(shop, "updated_at", since)

    def past_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders placed since ``since`` (GraphQL ``orders``), as webhook payloads, for backfill."""
        return api.orders_since(shop, "created_at", since)

    def missing_webhooks(self, shop: ShopAccess, webhook_url: str) -> list[str]:
        """Topics with no subscription at ``webhook_url``."""
        return api.missing_webhooks(shop, webhook_url)

    def register_webhooks(self, shop: ShopAccess, webhook_url: str, secret: str | None) -> list[str]:
        """``webhookSubscriptionCreate`` for each topic not yet subscribed (Shopify signs with the app secret)."""
        return api.register_webhooks(shop, webhook_url)
