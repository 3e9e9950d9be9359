"""Keeping a store's expiring access token fresh, without two workers losing each other's refresh."""

from __future__ import annotations

from datetime import timedelta

from adapters.base import PermanentStoreError, ShopAccess, StoreAdapter
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.outbox.requests import shop_access

REFRESH_MARGIN = timedelta(minutes=5)


def _expiring(shop: Shop) -> bool:
    return shop.credentials_expire_at is not None and shop.credentials_expire_at <= utcnow() + REFRESH_MARGIN


def fresh_access(storage: Storage, shop_id: int, adapter: StoreAdapter, config: Config) -> ShopAccess:
    """The shop's credentials, refreshed first if the access token expires within five minutes.

    The refresh runs with the shop's row locked, and re-checks after taking the lock: a second worker
    waits, then finds the token the first one stored (refresh tokens are single-use, so refreshing twice
    would leave one of the two new tokens dead).
    """
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise PermanentStoreError(f"shop {shop_id} no longer exists")
        if not _expiring(shop):
            return shop_access(shop, config.allow_private_store_addresses)
    with storage.session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
        assert shop is not None
        if not _expiring(shop):
            return shop_access(shop, config.allow_private_store_addresses)
        if not shop.refresh_token:
            raise PermanentStoreError(
                f"{shop.domain}: the access token expired and there is no refresh token; reinstall"
            )
        access = shop_access(shop, config.allow_private_store_addresses)
        tokens = adapter.refresh_tokens(access, shop.refresh_token, config)
        shop.credentials = {**shop.credentials, **tokens.credentials}
        shop.credentials_expire_at = tokens.expires_at
        shop.refresh_token = tokens.refresh_token or shop.refresh_token
        shop.refresh_token_expires_at = tokens.refresh_expires_at or shop.refresh_token_expires_at
        return shop_access(shop, config.allow_private_store_addresses)
