"""The column types every table uses (exact money, timestamps in UTC) and the declarative base."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric, String, case, func, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount to four decimals: NUMERIC(20, 4) on PostgreSQL; on SQLite, which has no exact decimal,
    a whole number of ten-thousandths (so both databases sum it exactly). Rounded as PostgreSQL rounds."""

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(20, 4))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(QUANTUM, ROUND_HALF_UP)
        return int(amount * MONEY_UNITS) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":  # units; a float only from an average
            return (Decimal(repr(value) if isinstance(value, float) else value) / MONEY_UNITS).quantize(QUANTUM)
        return Decimal(str(value))


class MoneyText(TypeDecorator[Decimal]):
    """Money as the revisions before 0016 stored it: NUMERIC on PostgreSQL, its decimal text on SQLite. Only
    the migrations that created those columns use it."""

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(Decimal(value)) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


MONEY_UNITS = 10_000
"""Money is kept to four decimals: summed by the database as whole ten-thousandths, exactly, on both."""
QUANTUM = Decimal("0.0001")


class Base(DeclarativeBase):
    """Declarative base for every table."""


class money_units(FunctionElement[Any]):
    """SQL for ``amount`` (a Money column or expression) in whole ten-thousandths, for an exact ``sum``: what
    SQLite stores already, and NUMERIC times 10,000 on PostgreSQL."""

    name = "money_units"
    inherit_cache = True


@compiles(money_units)
def _units(element: money_units, compiler: Any, **kw: Any) -> str:
    (amount,) = element.clauses
    return str(compiler.process(func.round(amount * literal_column(str(MONEY_UNITS))), **kw))


@compiles(money_units, "sqlite")
def _units_on_sqlite(element: money_units, compiler: Any, **kw: Any) -> str:
    (amount,) = element.clauses
    return str(compiler.process(amount, **kw))


def money_from_units(units: Any) -> Decimal:
    """A sum of ``money_units`` back as money."""
    return (Decimal(str(units or 0)) / MONEY_UNITS).quantize(Decimal("0.0001"))


def read_time(value: Any) -> datetime | None:
    """A timestamp from an aggregate (``min``/``max``), which SQLite hands back as its stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def utc_day(column: Any, dialect: str) -> Any:
    """SQL for the UTC day of a ``UTCDateTime`` column as ``YYYY-MM-DD`` text, to group by in the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps it as "YYYY-MM-DD HH:MM:SS..." in UTC


def utc_hour(column: Any, dialect: str) -> Any:
    """SQL for the UTC hour of a ``UTCDateTime`` column as ``YYYY-MM-DD HH`` text, to group by."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)


def month_day(column: Any, dialect: str) -> Any:
    """SQL for a date column's ``MM-DD``, to find birthdays in the database."""
    if dialect == "postgresql":
        return func.to_char(column, "MM-DD")
    return func.strftime("%m-%d", column)


def epoch_days(column: Any, dialect: str) -> Any:
    """SQL for a ``UTCDateTime`` column (or its ``min``/``max``) in days since a fixed instant, as a real
    number: differences of two are the days between them."""
    if dialect == "postgresql":
        return func.extract("epoch", column) / 86400.0
    return func.julianday(column)


def json_list_items(column: Any, dialect: str) -> Any:
    """A table of the text items of a JSON list column, to join to its row (column ``value``); none for a
    row whose column holds no list."""
    if dialect == "postgresql":
        listed = case((func.json_typeof(column) == "array", column), else_=literal_column("'[]'::json"))
        return func.json_array_elements_text(listed).table_valued("value")
    listed = case((func.json_type(column) == "array", column), else_=literal_column("'[]'"))
    return func.json_each(listed).table_valued("value")
