"""The sandbox store's own records, in a table of its own (``sandbox_calls``): what Sadakat asked of it
(codes, code notes, tracking notes, member syncs) and its copy of each order, which its order listing
(backfill) answers.

The table lives in the database Sadakat hands it (``SandboxRecords.bind``); the sandbox never looks one up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()

sandbox_calls = Table(
    "sandbox_calls",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC)),
    UniqueConstraint("shop_id", "kind", "key", name="uq_sandbox_calls_key"),
)


class SandboxUnbound(RuntimeError):
    """The sandbox store was given no database to keep its records in."""


class SandboxRecords:
    """The sandbox store's records, kept through the engine it is given."""

    def __init__(self) -> None:
        self._engine: Callable[[], Engine] | None = None

    def bind(self, engine: Callable[[], Engine]) -> None:
        """Keep the records through ``engine()`` (called on each use, so a forked process gets its own)."""
        self._engine = engine

    def _connect(self) -> Engine:
        if self._engine is None:
            raise SandboxUnbound("the sandbox store has no database: the app binds one when it starts")
        return self._engine()

    def _insert(self, engine: Engine) -> Any:
        return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(sandbox_calls)

    def record(self, shop_id: int, kind: str, key: str, body: dict[str, Any]) -> bool:
        """Record a call once per (kind, key); returns whether it is new."""
        engine = self._connect()
        values = {"shop_id": shop_id, "kind": kind, "key": key, "body": json.loads(json.dumps(body, default=str))}
        stmt = (
            self._insert(engine)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["shop_id", "kind", "key"])
            .returning(sandbox_calls.c.id)
        )
        with engine.begin() as conn:
            return conn.execute(stmt).scalar() is not None

    def keep_order(self, shop_id: int, order: dict[str, Any]) -> None:
        """The store's own copy of an order, in its latest state."""
        self.keep(shop_id, "order", order["id"], order)

    def keep(self, shop_id: int, kind: str, key: str, body: dict[str, Any]) -> None:
        """A record of ``kind`` in its latest state (replacing the one with the same key)."""
        engine = self._connect()
        stmt = self._insert(engine).values(shop_id=shop_id, kind=kind, key=key, body=body)
        stmt = stmt.on_conflict_do_update(index_elements=["shop_id", "kind", "key"], set_={"body": stmt.excluded.body})
        with engine.begin() as conn:
            conn.execute(stmt)

    def bodies(self, shop_id: int | None, kind: str, key: str | None = None) -> list[dict[str, Any]]:
        """What was recorded of ``kind`` (for one shop, or every shop), oldest first."""
        query = select(sandbox_calls.c.body).where(sandbox_calls.c.kind == kind).order_by(sandbox_calls.c.id)
        if shop_id is not None:
            query = query.where(sandbox_calls.c.shop_id == shop_id)
        if key is not None:
            query = query.where(sandbox_calls.c.key == key)
        with self._connect().connect() as conn:
            return list(conn.scalars(query))

    def pages(self, shop_id: int, kind: str, size: int = 500) -> Iterator[dict[str, Any]]:
        """What was recorded of ``kind`` for one shop, oldest first, read ``size`` at a time (as a store's API
        pages its answers): however many there are, only a page is held."""
        after = 0
        while True:
            query = (
                select(sandbox_calls.c.id, sandbox_calls.c.body)
                .where(sandbox_calls.c.shop_id == shop_id, sandbox_calls.c.kind == kind, sandbox_calls.c.id > after)
                .order_by(sandbox_calls.c.id)
                .limit(size)
            )
            with self._connect().connect() as conn:
                page = conn.execute(query).all()
            if not page:
                return
            after = page[-1].id
            yield from (body for _, body in page)

    def counts(self) -> dict[str, int]:
        """How many records of each kind there are."""
        query = select(sandbox_calls.c.kind, func.count()).group_by(sandbox_calls.c.kind)
        with self._connect().connect() as conn:
            return {kind: count for kind, count in conn.execute(query).all()}
