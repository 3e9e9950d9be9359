"""The customer list: search by part of a name or e-mail (without case or accents), filters by tier and
segment, sorting, pages, and the same list as CSV rows, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from connector.db.search import name_or_email_contains
from connector.db.tables import NAME_ORDER, CustomerRecord

PAGE_SIZE = 50
NONE = "none"
SORTS = {
    # as ix_customers_shop_name has it (an empty text literal, not a parameter, or no index matches)
    "name": tuple(func.lower(func.coalesce(getattr(CustomerRecord, c), literal_column("''"))) for c in NAME_ORDER),
    "email": (CustomerRecord.email,),
    "tier": (CustomerRecord.tier,),
    "points": (CustomerRecord.points,),
    "last_order": (CustomerRecord.last_order_at,),
}
CSV_HEADER = ["customer", "first_name", "last_name", "email", "tier", "points", "segment", "last_order_at"]


@dataclass(frozen=True)
class Found:
    """One page of customers, and how many there are in all."""

    customers: list[CustomerRecord]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def _exact(session: Session, shop_id: int, q: str | None) -> list[int]:
    """Customers an exact e-mail address, key or store id names (found through indexes, before any search)."""
    if not q or not q.strip():
        return []
    text = q.strip()
    # One query per index: SQLite reads an OR of two columns by scanning the shop's customers.
    by_email = select(CustomerRecord.id).where(CustomerRecord.shop_id == shop_id, CustomerRecord.email == text.lower())
    by_key = select(CustomerRecord.id).where(CustomerRecord.shop_id == shop_id, CustomerRecord.key == text)
    by_id = select(CustomerRecord.id).where(CustomerRecord.shop_id == shop_id, CustomerRecord.platform_id == text)
    return sorted(set().union(*(session.scalars(query) for query in (by_email, by_key, by_id))))


def _where(session: Session, shop_id: int, q: str | None, tier: str | None, segment: str | None) -> list[Any]:
    """The conditions of a search: the customers an exact address or id names, else those whose names or
    address hold the text; and the filters."""
    exact = _exact(session, shop_id, q)
    where = _matching(session.get_bind().dialect.name, shop_id, None if exact else q, tier, segment)
    return [*where, CustomerRecord.id.in_(exact)] if exact else where


def _matching(dialect: str, shop_id: int, q: str | None, tier: str | None, segment: str | None) -> list[Any]:
    where: list[Any] = [CustomerRecord.shop_id == shop_id]
    if q and q.strip():
        text = q.strip()
        where.append(name_or_email_contains(dialect, text))  # an id or a whole address: ``_exact``
    if tier:
        where.append(CustomerRecord.tier.is_(None) if tier == NONE else CustomerRecord.tier == tier)
    if segment:
        where.append(CustomerRecord.segment.is_(None) if segment == NONE else CustomerRecord.segment == segment)
    return where


def find(
    session: Session,
    shop_id: int,
    *,
    q: str | None = None,
    tier: str | None = None,
    segment: str | None = None,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
) -> Found:
    """One page of the shop's customers matching the search and filters, sorted. An exact e-mail address
    or id finds that customer straight away; anything else searches every name and address."""
    where = _where(session, shop_id, q, tier, segment)
    total = session.scalar(select(func.count()).select_from(CustomerRecord).where(*where)) or 0
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    order = [c.desc() if descending else c.asc() for c in SORTS.get(sort, SORTS["name"])]
    customers = session.scalars(
        select(CustomerRecord)
        .where(*where)
        .order_by(*order, CustomerRecord.id.desc() if descending else CustomerRecord.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Found(list(customers), int(total), page)


def csv_rows(
    session: Session, shop_id: int, *, q: str | None, tier: str | None, segment: str | None
) -> Iterator[list[str]]:
    """The header, then every matching customer, read a thousand at a time as plain rows (memory stays flat,
    and a million customers stream in seconds, well within a web worker's timeout)."""
    yield CSV_HEADER
    c = CustomerRecord
    query = (
        select(c.platform_id, c.key, c.first_name, c.last_name, c.email, c.tier, c.points, c.segment, c.last_order_at)
        .where(*_where(session, shop_id, q, tier, segment))
        .order_by(c.id)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        yield [
            row.platform_id or row.key,
            row.first_name or "",
            row.last_name or "",
            row.email or "",
            row.tier or "",
            str(row.points),
            row.segment or "",
            row.last_order_at.isoformat() if row.last_order_at else "",
        ]
