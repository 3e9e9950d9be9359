"""Orders as plain rows, for settling many at once: created if unseen, read and locked in one statement with
what was refunded of each, and written back in one (the ``orders`` table, ``OrderRecord``, without the ORM's
bookkeeping per object)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from connector.db.columns import money_from_units, money_units
from connector.db.storage import insert_once
from connector.db.tables import OrderRecord, RefundRecord, utcnow


@dataclass(slots=True)
class OrderRow:
    """One row of ``orders``."""

    id: int
    shop_id: int
    order_id: str
    name: str | None
    customer_id: int | None
    currency: str | None
    merchandise_amount: Decimal | None
    shipping_amount: Decimal | None
    tax_amount: Decimal | None
    total: Decimal | None
    discount_codes: list[str] | None
    shipping_key: str | None
    paid: bool
    cancelled: bool
    fully_refunded: bool
    test: bool
    points_earned: int | None
    earn_rate: Decimal | None
    placed_at: datetime | None
    updated_at: datetime
    refunded: Decimal = Decimal(0)
    """The merchandise refunded so far (the ``refunds`` rows of the order): read, never written."""


COLUMNS = tuple(f.name for f in fields(OrderRow) if f.name != "refunded")
WRITTEN = tuple(name for name in COLUMNS if name not in ("id", "shop_id", "order_id"))
TABLE = OrderRecord.__table__


def insert_order_once(dialect: str) -> Any:
    """INSERT of an order's row that does nothing when the shop has it already."""
    columns = ("shop_id", "order_id", "paid", "cancelled", "fully_refunded", "test", "updated_at")
    return insert_once(dialect, TABLE, columns, ("shop_id", "order_id"))


def lock(session: Session, shop_id: int, order_ids: list[str]) -> dict[str, OrderRow]:
    """The orders' rows, created if unseen, locked until the transaction ends (in id order, so that two
    transactions lock in the same order): one insert and one select for all of them."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return {}
    dialect = session.get_bind().dialect.name
    fresh = {"paid": False, "cancelled": False, "fully_refunded": False, "test": False, "updated_at": utcnow()}
    session.execute(insert_order_once(dialect), [{"shop_id": shop_id, "order_id": o} | fresh for o in wanted])
    refunds = RefundRecord.__table__
    refunded = (
        select(func.coalesce(func.sum(money_units(refunds.c.merchandise_amount)), 0))
        .where(refunds.c.shop_id == TABLE.c.shop_id, refunds.c.order_id == TABLE.c.order_id)
        .scalar_subquery()
    )
    query = (
        select(TABLE, refunded.label("refunded_units"))
        .where(TABLE.c.shop_id == shop_id, TABLE.c.order_id.in_(wanted))
        .order_by(TABLE.c.id)
    )
    if dialect == "postgresql":
        query = query.with_for_update(of=TABLE)
    return {
        row.order_id: OrderRow(**{c: row._mapping[c] for c in COLUMNS}, refunded=money_from_units(row.refunded_units))
        for row in session.execute(query)
    }


def write(session: Session, rows: list[OrderRow]) -> None:
    """Write the rows back in one statement; objects of the same rows the session holds read them afresh."""
    if not rows:
        return
    session.execute(
        update(TABLE).where(TABLE.c.id == bindparam("row_id")).values({c: bindparam(f"new_{c}") for c in WRITTEN}),
        [{"row_id": row.id} | {f"new_{c}": getattr(row, c) for c in WRITTEN} for row in rows],
    )
    for row in rows:
        loaded = session.identity_map.get(session.identity_key(OrderRecord, row.id))
        if loaded is not None:
            session.expire(loaded)
