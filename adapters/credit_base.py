"""Native store credit, for the platforms that have it (Shopify; the sandbox store imitates it): money on a
customer's account, spent at checkout, kept apart from discount codes. A platform without it has no
``StoreCreditAccounts`` in the registry (``adapters.store_credit_accounts``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from adapters.base import ShopAccess
from connector.model import StoreCredit


class StoreCreditAccounts(Protocol):
    """Moving money on customers' store credit accounts; each call moves it once per ``credit.key``."""

    scopes: tuple[str, ...]
    """The API scopes a shop's credentials need for it (empty where none are asked)."""

    def credit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """Add to the account; returns the store's id for the movement. PermanentStoreError if refused."""
        ...

    def debit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """Take from the account; returns the store's id for the movement."""
        ...

    def balance(self, shop: ShopAccess, customer_id: str, currency: str) -> Decimal:
        """What the customer's account in ``currency`` holds now (0 with none)."""
        ...
