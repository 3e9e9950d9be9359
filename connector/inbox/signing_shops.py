"""The receiver's view of a shop: who a webhook may come from and the secrets it may be signed with.

Read on every webhook (a secret rotated or revoked a second ago counts at once), as one small query run
directly on the driver (connector/db/direct_statements.py) that decrypts only the secrets it needs and, on
SQLite, takes no write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select

from adapters.tracking_base import CarrierCredentials
from connector.db.storage import Storage
from connector.db.tables import CarrierConnection, ShipmentRecord, Shop


@dataclass(frozen=True)
class SigningShop:
    """A shop as the receiver needs it."""

    id: int
    platform: str
    domain: str
    secrets: tuple[str, ...]


# Built once: the receiver runs these for every webhook.
_COLUMNS = (Shop.id, Shop.platform, Shop.domain, Shop.webhook_secret, Shop.previous_webhook_secret)
_BY_DOMAIN = select(*_COLUMNS).where(Shop.platform == bindparam("platform"), Shop.domain == bindparam("domain"))
_BY_ID = select(*_COLUMNS).where(Shop.id == bindparam("id"))
_CARRIER_SECRET = select(Shop.carrier_secret).where(Shop.id == bindparam("id"))
_CARRIER_CONNECTION = select(CarrierConnection.secret, CarrierConnection.token).where(
    CarrierConnection.shop_id == bindparam("id"), CarrierConnection.service == bindparam("service")
)
_SHIPMENT = select(ShipmentRecord.id).where(
    ShipmentRecord.shop_id == bindparam("id"), ShipmentRecord.tracking_key == bindparam("key")
)


def by_domain(storage: Storage, platform: str, domain: str) -> SigningShop | None:
    """The ``platform`` shop at ``domain``, if any."""
    return _one(storage, _BY_DOMAIN, {"platform": platform, "domain": domain})


def by_id(storage: Storage, shop_id: int) -> SigningShop | None:
    """The shop with ``shop_id``, if any."""
    return _one(storage, _BY_ID, {"id": shop_id})


def carrier_secret(storage: Storage, shop_id: int) -> str | None:
    """The secret carriers sign the shop's tracking updates with, if it has one."""
    row = storage.direct.first(_CARRIER_SECRET, {"id": shop_id})
    return row[0] if row else None


def carrier_credentials(storage: Storage, shop_id: int, service: str) -> CarrierCredentials | None:
    """What the shop set up for a tracking service (its own format: the shop's carrier secret), if anything."""
    if service == "sadakat":
        secret = carrier_secret(storage, shop_id)
        return CarrierCredentials(secret=secret) if secret else None
    row = storage.direct.first(_CARRIER_CONNECTION, {"id": shop_id, "service": service})
    return CarrierCredentials(secret=row[0], token=row[1]) if row else None


def has_shipment(storage: Storage, shop_id: int, key: str) -> bool:
    """Whether a shipment of the shop has the tracking number ``key`` (as ``model.tracking_key`` makes it)."""
    return storage.direct.first(_SHIPMENT, {"id": shop_id, "key": key}) is not None


def _one(storage: Storage, query: Select[Any], params: dict[str, Any]) -> SigningShop | None:
    row = storage.direct.first(query, params)
    if row is None:
        return None
    shop_id, platform, domain, secret, previous = row
    # A shop without a secret of its own is signed with the app's (Shopify OAuth apps): no shop secrets then.
    secrets = tuple(s for s in (secret, previous) if s) if secret else ()
    return SigningShop(id=shop_id, platform=platform, domain=domain, secrets=secrets)
