"""Members of a shop's programme: finding one, and members as plain rows for settling many at once."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord
from connector.rules.referrals import email_key


def find_customer(session: Session, shop_id: int, ident: str) -> CustomerRecord | None:
    """A member by platform id or key (``email:<address>`` for a guest), or by e-mail (an account before a guest)."""
    ident = ident.strip()
    if "@" not in ident or ident.startswith("email:"):
        return session.scalars(
            select(CustomerRecord).where(CustomerRecord.shop_id == shop_id, CustomerRecord.key == ident)
        ).one_or_none()
    email = ident.lower()
    return session.scalars(
        select(CustomerRecord)
        .where(CustomerRecord.shop_id == shop_id, CustomerRecord.email == email)
        .order_by(CustomerRecord.platform_id.is_(None), CustomerRecord.id)
        .limit(1)
    ).first()


@dataclass(slots=True)
class MemberRow:
    """A member as plain values, for settling many at once (``customers``, without the ORM's bookkeeping)."""

    id: int
    key: str
    platform_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    tier: str | None


MEMBER_COLUMNS = tuple(f.name for f in fields(MemberRow))


def member_rows(session: Session, shop_id: int, *where: Any) -> list[MemberRow]:
    """The shop's members that match ``where``, in id order."""
    table = CustomerRecord.__table__
    query = select(*(table.c[name] for name in MEMBER_COLUMNS)).where(table.c.shop_id == shop_id, *where)
    return [MemberRow(**row._mapping) for row in session.execute(query.order_by(table.c.id))]


def write_member_rows(session: Session, rows: list[MemberRow], names: tuple[str, ...]) -> None:
    """Write ``names`` of the rows back in one statement; objects of the same rows the session holds read
    them afresh."""
    if not rows:
        return
    table = CustomerRecord.__table__
    values = {n: bindparam(f"new_{n}") for n in names}
    if "email" in names:  # the inbox the address reaches moves with it
        values["email_key"] = bindparam("new_email_key")
    session.execute(
        update(table).where(table.c.id == bindparam("row_id")).values(values),
        [
            {"row_id": row.id}
            | {f"new_{n}": getattr(row, n) for n in names}
            | ({"new_email_key": email_key(row.email) if row.email else None} if "email" in names else {})
            for row in rows
        ],
    )
    for row in rows:
        loaded = session.identity_map.get(session.identity_key(CustomerRecord, row.id))
        if loaded is not None:
            session.expire(loaded)
