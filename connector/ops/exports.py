"""A shop's ledger as CSV, for the merchant's accountant or spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, LedgerEntry

COLUMNS = (
    "entry_id",
    "created_at",
    "customer_id",
    "customer_email",
    "kind",
    "points",
    "source_type",
    "source_id",
    "rule",
    "rate",
    "amount",
    "key",
)
BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    # Customer-supplied text that a spreadsheet would run as a formula is quoted (OWASP CSV injection).
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def ledger_rows(session: Session, shop_id: int) -> Iterator[tuple[object, ...]]:
    """Every ledger entry of the shop, oldest first, with its customer (plain rows, ``BATCH`` at a time)."""
    e = LedgerEntry
    columns = (e.id, e.created_at, e.kind, e.points, e.source_type, e.source_id, e.rule, e.rate, e.amount, e.key)
    after = 0
    while True:
        batch = session.execute(
            select(*columns, CustomerRecord.platform_id, CustomerRecord.key, CustomerRecord.email)
            .join(CustomerRecord, CustomerRecord.id == e.customer_id)
            # ``shop_id + 0``: no index on it. Through the (shop, kind, time) index SQLite read the whole
            # shop and sorted it for every batch; the primary key reads each batch in order from the last.
            .where(e.shop_id + 0 == shop_id, e.id > after)
            .order_by(e.id)
            .limit(BATCH)
        ).all()
        for entry_id, created, kind, points, source_type, source_id, rule, rate, amount, key, pid, ckey, email in batch:
            yield (
                entry_id,
                created.isoformat(),
                _text(pid or ckey),
                _text(email),
                kind,
                points,
                source_type,
                _text(source_id),
                rule,
                "" if rate is None else format(rate.normalize(), "f"),
                "" if amount is None else format(amount, "f"),
                _text(key),
            )
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def write_ledger_csv(session: Session, shop_id: int, out: TextIO) -> int:
    """Write the shop's ledger to ``out`` as CSV with a header row; returns how many entries."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in ledger_rows(session, shop_id):
        writer.writerow(row)
        count += 1
    return count
