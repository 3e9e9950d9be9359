"""The audit trail: every change a person or token makes to a shop, with who, when, from where, and the
value before and after. Kept with the shop's data (its rows go when the shop is erased)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.merchants import AuditEntry
from connector.db.storage import Storage

LISTED = 200


def record(
    session: Session,
    shop_id: int,
    actor: str,
    source: str | None,
    action: str,
    subject: str | None,
    before: Any,
    after: Any,
) -> None:
    """Note one change, in the transaction that makes it."""
    session.add(
        AuditEntry(
            shop_id=shop_id,
            actor=actor[:200],
            source=(source or "")[:64] or None,
            action=action[:64],
            subject=subject[:255] if subject else None,
            before=before,
            after=after,
        )
    )


def note(
    storage: Storage, shop_id: int, actor: str, source: str | None, action: str, subject: str | None, after: Any
) -> None:
    """Note a change made through another module's transaction (a code given), in a short one of its own."""
    with storage.session() as session:
        record(session, shop_id, actor, source, action, subject, None, after)


def entries(storage: Storage, shop_id: int, limit: int = LISTED) -> list[dict[str, Any]]:
    """The shop's latest changes, newest first."""
    with storage.session(read_only=True) as session:
        found = session.scalars(
            select(AuditEntry).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.id.desc()).limit(limit)
        )
        return [
            {
                "at": e.created_at.isoformat(),
                "actor": e.actor,
                "source": e.source,
                "action": e.action,
                "subject": e.subject,
                "before": e.before,
                "after": e.after,
            }
            for e in found
        ]
