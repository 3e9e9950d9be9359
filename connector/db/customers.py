"""Finding members of a shop's programme."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord


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
