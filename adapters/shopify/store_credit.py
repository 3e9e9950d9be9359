"""Shopify's native store credit (Admin API ``storeCreditAccountCredit`` / ``storeCreditAccountDebit``, scopes
``write_store_credit_account_transactions`` and ``read_store_credit_account_transactions``): one account per
customer and currency, addressed by the customer's id. Each movement carries ``@idempotent(key:)``, so a
retry after a lost answer moves the money once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.base import PermanentStoreError, ShopAccess
from adapters.shopify import queries
from adapters.shopify.api import ShopifyGraphQL, gid
from connector.model import StoreCredit

SCOPES = ("write_store_credit_account_transactions", "read_store_credit_account_transactions")


def _money(credit: StoreCredit) -> dict[str, str]:
    return {"amount": str(credit.amount), "currencyCode": credit.currency}


def credit(shop: ShopAccess, credit: StoreCredit) -> str:
    """Put ``credit.amount`` on the customer's account (created by Shopify on first credit); returns the
    transaction's id. A refusal (customer gone, scope missing, currency) is a PermanentStoreError."""
    given: dict[str, Any] = {"creditAmount": _money(credit), "notify": credit.notify}
    if credit.expires_at is not None:
        given["expiresAt"] = credit.expires_at.isoformat()
    variables = {"id": gid("Customer", credit.customer_id), "creditInput": given, "key": credit.key[:255]}
    payload = ShopifyGraphQL(shop).mutate(queries.STORE_CREDIT_ACCOUNT_CREDIT, variables, "storeCreditAccountCredit")
    return _transaction_id(payload)


def debit(shop: ShopAccess, credit: StoreCredit) -> str:
    """Take ``credit.amount`` off the customer's account; returns the transaction's id."""
    variables = {
        "id": gid("Customer", credit.customer_id),
        "debitInput": {"debitAmount": _money(credit)},
        "key": credit.key[:255],
    }
    payload = ShopifyGraphQL(shop).mutate(queries.STORE_CREDIT_ACCOUNT_DEBIT, variables, "storeCreditAccountDebit")
    return _transaction_id(payload)


def balance(shop: ShopAccess, customer_id: str, currency: str) -> Decimal:
    """What the customer's account in ``currency`` holds now (0 with no account)."""
    found = ShopifyGraphQL(shop).execute(
        queries.CUSTOMER_STORE_CREDIT, {"id": gid("Customer", customer_id), "query": f"currency_code:{currency}"}
    )
    customer = found.get("customer")
    if customer is None:
        raise PermanentStoreError(f"Shopify has no customer {customer_id}")
    for account in (customer.get("storeCreditAccounts") or {}).get("nodes") or []:
        money = account.get("balance") or {}
        if money.get("currencyCode") == currency:
            return Decimal(str(money.get("amount") or "0"))
    return Decimal(0)


def _transaction_id(payload: dict[str, Any]) -> str:
    transaction = payload.get("storeCreditAccountTransaction") or {}
    if not transaction.get("id"):
        raise PermanentStoreError("Shopify moved no store credit")
    return str(transaction["id"])
