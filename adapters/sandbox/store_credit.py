"""The sandbox store's store credit accounts, as Shopify keeps them: one per customer and currency, money
moved once per key, never below zero. Kept in the sandbox's own records."""

from __future__ import annotations

import uuid
from decimal import Decimal

from adapters.base import PermanentStoreError, ShopAccess
from adapters.sandbox.records import SandboxRecords
from connector.model import StoreCredit

KIND = "store_credit"


class SandboxStoreCredit:
    """Store credit accounts in the sandbox store."""

    scopes: tuple[str, ...] = ()

    def __init__(self, records: SandboxRecords) -> None:
        self.records = records

    def _move(self, shop: ShopAccess, credit: StoreCredit, sign: int) -> str:
        done = self.records.bodies(shop.shop_id, KIND, credit.key)
        if done:  # the same key again: moved already
            return str(done[0]["store_id"])
        if sign < 0 and self.balance(shop, credit.customer_id, credit.currency) < credit.amount:
            raise PermanentStoreError("sandbox refused: the store credit account does not have enough")
        store_id = f"sandbox-credit-{uuid.uuid4().hex[:12]}"
        body = {
            "store_id": store_id,
            "customer_id": credit.customer_id,
            "amount": str(sign * credit.amount),
            "currency": credit.currency,
            "expires_at": credit.expires_at.isoformat() if credit.expires_at else None,
        }
        self.records.record(shop.shop_id, KIND, credit.key, body)
        return store_id

    def credit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """Add to the customer's account."""
        return self._move(shop, credit, 1)

    def debit(self, shop: ShopAccess, credit: StoreCredit) -> str:
        """Take from it; refused beyond what it holds."""
        return self._move(shop, credit, -1)

    def balance(self, shop: ShopAccess, customer_id: str, currency: str) -> Decimal:
        """What the account holds."""
        return sum(
            (
                Decimal(body["amount"])
                for body in self.records.bodies(shop.shop_id, KIND)
                if body["customer_id"] == customer_id and body["currency"] == currency
            ),
            Decimal(0),
        )
