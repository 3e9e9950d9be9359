"""Store credit owed to customers, through the outbox: a ``store_credit`` push puts money on the customer's
native account (a redemption, an order's cashback, a gift), a ``store_credit_debit`` push takes back a
refund's share of cashback — after the credit it takes back, and never more than the account holds then
(the shortfall is recorded). Each movement is a row of ``store_credit_movements`` and moves once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from adapters import store_credit_accounts
from adapters.base import PermanentStoreError, RetryableStoreError, StoreAdapter
from connector.db.storage import Storage, upsert_insert
from connector.db.store_credit import StoreCreditMovement
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.model import StoreCredit
from connector.outbox import requests as outbox
from connector.programme import shop_currency

CREDIT = "store_credit"
DEBIT = "store_credit_debit"
WAIT_FOR_CREDIT_SECONDS = 30
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Asked:
    """A movement asked for: its push (None when the key asked before) and its amount."""

    push_id: int | None
    amount: Decimal
    currency: str


def minor_units(amount: Decimal) -> Decimal:
    """Money as the shop's currency holds it: to the cent, never rounded up."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def request(
    session: Session,
    shop: Shop,
    customer: CustomerRecord,
    *,
    direction: str,
    reason: str,
    key: str,
    amount: Decimal,
    currency: str,
    order_id: str | None = None,
    points: int | None = None,
    expires_at: datetime | None = None,
    after: str | None = None,
) -> Asked:
    """Record the movement and its push once per ``key``; nothing for an amount under a cent or a customer
    with no store account (a guest has no store credit). ``after``: the credit a debit takes back."""
    amount = minor_units(amount)
    if amount <= 0 or not customer.platform_id:
        return Asked(None, Decimal(0), currency)
    inserted = session.execute(
        upsert_insert(session, StoreCreditMovement)
        .values(
            shop_id=shop.id,
            customer_id=customer.id,
            key=key[:255],
            direction=StoreCreditMovement.CREDIT if direction == CREDIT else StoreCreditMovement.DEBIT,
            reason=reason,
            order_id=order_id,
            amount=amount,
            currency=currency,
            points=points,
            expires_at=expires_at,
            status=StoreCreditMovement.PENDING,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "key"])
        .returning(StoreCreditMovement.id)
    ).scalar()
    if inserted is None:
        return Asked(None, amount, currency)
    payload: dict[str, Any] = {
        "movement": inserted,
        "customer_id": customer.platform_id,
        "amount": str(amount),
        "currency": currency,
        "key": key,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    if after:
        payload["after"] = after
    if points is not None:
        payload["redemption"] = {"customer": customer.id, "points": points}
        payload["reason"] = key
    push_id = outbox.request(session, shop.id, direction, f"{direction}:{key}", customer.key, payload)
    session.execute(update(StoreCreditMovement).where(StoreCreditMovement.id == inserted).values(push_id=push_id))
    return Asked(push_id, amount, currency)


def ready(shop: Shop) -> bool:
    """Whether the shop can give store credit now: its platform has it, its currency is known, and its
    credentials carry the scopes (a shop added by hand with no scopes recorded is taken to have them)."""
    accounts = store_credit_accounts(shop.platform)
    if accounts is None or not shop_currency(shop):
        return False
    granted = {s.strip() for s in (shop.scopes or "").split(",") if s.strip()}
    return shop.scopes is None or all(scope in granted for scope in accounts.scopes)


def missing_scopes(shop: Shop) -> list[str]:
    """The store-credit scopes a shop installed before them still has to approve."""
    accounts = store_credit_accounts(shop.platform)
    if accounts is None or shop.scopes is None:
        return []
    granted = {s.strip() for s in shop.scopes.split(",")}
    return [scope for scope in accounts.scopes if scope not in granted]


def asked(session: Session, shop_id: int, key: str) -> bool:
    """Whether a movement with ``key`` was asked for."""
    found = select(StoreCreditMovement.id).where(StoreCreditMovement.shop_id == shop_id, StoreCreditMovement.key == key)
    return session.scalar(found) is not None


def credited_for_order(session: Session, shop_id: int, order_id: str) -> tuple[Decimal, Decimal]:
    """An order's cashback: (credited, taken back so far, as asked)."""
    rows = session.execute(
        select(StoreCreditMovement.direction, func.sum(StoreCreditMovement.amount))
        .where(
            StoreCreditMovement.shop_id == shop_id,
            StoreCreditMovement.order_id == order_id,
            StoreCreditMovement.reason.in_(("cashback", "cashback_refund")),
        )
        .group_by(StoreCreditMovement.direction)
    ).all()
    sums = {direction: Decimal(total or 0) for direction, total in rows}
    return sums.get(StoreCreditMovement.CREDIT, Decimal(0)), sums.get(StoreCreditMovement.DEBIT, Decimal(0))


def perform(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed) -> str | None:
    """Move the money a ``store_credit`` or ``store_credit_debit`` push stands for; returns the store's id."""
    accounts = store_credit_accounts(adapter.platform)
    if accounts is None:
        raise PermanentStoreError("this store has no store credit")
    payload = claimed.payload
    movement_id = int(payload["movement"])
    asked = Decimal(payload["amount"])
    credit = StoreCredit(
        customer_id=str(payload["customer_id"]),
        amount=asked,
        currency=str(payload["currency"]),
        key=str(payload["key"]),
        expires_at=datetime.fromisoformat(payload["expires_at"]) if payload.get("expires_at") else None,
    )
    if claimed.kind == CREDIT:
        store_id = accounts.credit(claimed.shop, credit)
        _done(storage, movement_id, asked, None)
        return store_id
    with storage.session(read_only=True) as session:
        before = session.scalars(
            select(StoreCreditMovement.status).where(
                StoreCreditMovement.shop_id == claimed.shop.shop_id, StoreCreditMovement.key == payload.get("after")
            )
        ).first()
    if before == StoreCreditMovement.PENDING:
        raise RetryableStoreError("waiting for the credit this takes back", WAIT_FOR_CREDIT_SECONDS)
    if before == StoreCreditMovement.REFUSED:
        _done(storage, movement_id, Decimal(0), None)  # never given: nothing to take back
        return None
    held = accounts.balance(claimed.shop, credit.customer_id, credit.currency)
    take = min(asked, max(held, Decimal(0)))
    store_id = accounts.debit(claimed.shop, StoreCredit(**{**credit.__dict__, "amount": take})) if take > 0 else None
    _done(storage, movement_id, take, asked - take if take < asked else None)
    return store_id


def _done(storage: Storage, movement_id: int, moved: Decimal, shortfall: Decimal | None) -> None:
    with storage.session() as session:
        session.execute(
            update(StoreCreditMovement)
            .where(StoreCreditMovement.id == movement_id)
            .values(status=StoreCreditMovement.DONE, moved=moved, shortfall=shortfall, done_at=utcnow())
        )


def refused(session: Session, claimed: outbox.Claimed) -> None:
    """A movement the store refused for good."""
    movement = claimed.payload.get("movement")
    if movement is not None:
        session.execute(
            update(StoreCreditMovement)
            .where(StoreCreditMovement.id == int(movement))
            .values(status=StoreCreditMovement.REFUSED, done_at=utcnow())
        )


def movements(session: Session, shop_id: int, customer_id: int, limit: int = 50) -> list[StoreCreditMovement]:
    """A customer's store credit given and taken back, newest first."""
    return list(
        session.scalars(
            select(StoreCreditMovement)
            .where(StoreCreditMovement.shop_id == shop_id, StoreCreditMovement.customer_id == customer_id)
            .order_by(StoreCreditMovement.id.desc())
            .limit(limit)
        )
    )


def movement_json(movement: StoreCreditMovement) -> dict[str, Any]:
    """A movement as the API shows it."""
    return {
        "direction": movement.direction,
        "reason": movement.reason,
        "amount": str(movement.amount),
        "moved": None if movement.moved is None else str(movement.moved),
        "shortfall": None if movement.shortfall is None else str(movement.shortfall),
        "currency": movement.currency,
        "order_id": movement.order_id,
        "points": movement.points,
        "status": movement.status,
        "expires_at": movement.expires_at.isoformat() if movement.expires_at else None,
        "created_at": movement.created_at.isoformat(),
    }


def summary(session: Session, shop_id: int, customer_id: int) -> dict[str, Any]:
    """What a customer was given and had taken back, what couldn't be taken back, and the movements."""
    rows = movements(session, shop_id, customer_id, limit=10_000)
    done = [m for m in rows if m.status == StoreCreditMovement.DONE]
    given = sum((m.moved or Decimal(0) for m in done if m.direction == StoreCreditMovement.CREDIT), Decimal(0))
    taken = sum((m.moved or Decimal(0) for m in done if m.direction == StoreCreditMovement.DEBIT), Decimal(0))
    short = sum((m.shortfall or Decimal(0) for m in done), Decimal(0))
    return {
        "given": str(given),
        "taken_back": str(taken),
        "shortfall": str(short),
        "movements": [movement_json(m) for m in rows[:50]],
    }


def shop_totals(session: Session, shop_id: int) -> dict[str, str]:
    """The shop's store credit given and taken back (as the store moved them), and what couldn't be."""
    rows = session.execute(
        select(
            StoreCreditMovement.direction,
            func.sum(StoreCreditMovement.moved),
            func.sum(StoreCreditMovement.shortfall),
        )
        .where(StoreCreditMovement.shop_id == shop_id, StoreCreditMovement.status == StoreCreditMovement.DONE)
        .group_by(StoreCreditMovement.direction)
    ).all()
    moved = {direction: Decimal(total or 0) for direction, total, _ in rows}
    short = sum((Decimal(s or 0) for _, _, s in rows), Decimal(0))
    return {
        "issued": str(moved.get(StoreCreditMovement.CREDIT, Decimal(0)).quantize(CENT)),
        "debited": str(moved.get(StoreCreditMovement.DEBIT, Decimal(0)).quantize(CENT)),
        "shortfall": str(short.quantize(CENT)),
    }
