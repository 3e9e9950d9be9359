"""Exports as CSV, for the merchant's accountant or spreadsheet: the shop's ledger, and the writer every
CSV Sadakat hands out goes through. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written as text (a leading ``'``, as OWASP advises against formula injection), so a customer
named ``=HYPERLINK(...)`` is shown, never run; plain numbers such as ``-500`` stay numbers."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, DataExport, LedgerEntry

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
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def cell(value: object) -> str:
    """One cell's text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``cell``."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row."""
        return self._writer.writerow([cell(value) for value in row])


def writer(out: TextIO) -> SafeWriter:
    """A CSV writer for ``out`` that defuses formulas."""
    return SafeWriter(out)


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
                pid or ckey,
                email,
                kind,
                points,
                source_type,
                source_id,
                rule,
                "" if rate is None else format(rate.normalize(), "f"),
                "" if amount is None else format(amount, "f"),
                key,
            )
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def write_ledger_csv(session: Session, shop_id: int, out: TextIO) -> int:
    """Write the shop's ledger to ``out`` as CSV with a header row; returns how many entries."""
    out_rows = writer(out)
    out_rows.writerow(COLUMNS)
    count = 0
    for row in ledger_rows(session, shop_id):
        out_rows.writerow(row)
        count += 1
    return count


DATA_REQUESTS_LISTED = 200


def data_requests(storage: Storage, shop_id: int) -> list[dict[str, Any]]:
    """The customers' data requests the store forwarded (GDPR), newest first."""
    with storage.session(read_only=True) as session:
        rows = session.scalars(
            select(DataExport)
            .where(DataExport.shop_id == shop_id)
            .order_by(DataExport.id.desc())
            .limit(DATA_REQUESTS_LISTED)
        )
        return [
            {"id": e.id, "request_id": e.request_id, "customer": e.customer_ref, "created_at": e.created_at.isoformat()}
            for e in rows
        ]


def data_request(storage: Storage, shop_id: int, export_id: int) -> dict[str, Any] | None:
    """What Sadakat holds about the customer of one data request of the shop's, or None."""
    with storage.session(read_only=True) as session:
        export = session.get(DataExport, export_id)
        return export.body if export is not None and export.shop_id == shop_id else None
