"""money on SQLite as whole ten-thousandths (integers) instead of decimal text, so that SQLite sums it
exactly as PostgreSQL does; PostgreSQL keeps NUMERIC(20, 4) and is not changed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "orders": ("merchandise_amount", "shipping_amount", "tax_amount", "total", "earn_rate"),
    "refunds": ("merchandise_amount",),
    "ledger_entries": ("rate", "amount"),
    "tier_changes": ("spend",),
    "issued_codes": ("value",),
    "referral_claims": ("order_total",),
}
UNITS = 10_000
CHUNK = 10_000


def _rewrite(table: str, columns: tuple[str, ...], convert: object) -> None:
    """Every row's amounts through ``convert``, ``CHUNK`` rows at a time, exactly (in Python's decimals)."""
    rows = sa.table(table, sa.column("id", sa.Integer), *(sa.column(c, sa.String) for c in columns))
    conn, last = op.get_bind(), 0
    change = (
        rows.update().where(rows.c.id == sa.bindparam("row_id")).values({c: sa.bindparam(f"new_{c}") for c in columns})
    )
    while True:
        found = conn.execute(
            sa.select(rows.c.id, *(rows.c[c] for c in columns)).where(rows.c.id > last).order_by(rows.c.id).limit(CHUNK)
        ).all()
        if not found:
            return
        conn.execute(
            change,
            [
                {"row_id": row.id}
                | {f"new_{c}": None if row._mapping[c] is None else convert(str(row._mapping[c])) for c in columns}  # type: ignore[operator]
                for row in found
            ],
        )
        last = found[-1].id


def _to_units(text: str) -> str:
    return str(int(Decimal(text).quantize(Decimal("0.0001"), ROUND_HALF_UP) * UNITS))


def _from_units(text: str) -> str:
    return str(Decimal(int(text)).scaleb(-4))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        _rewrite(table, columns, _to_units)  # still text, now of whole units: the cast below is exact
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.BigInteger(), existing_type=sa.String(40))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(40), existing_type=sa.BigInteger())
        _rewrite(table, columns, _from_units)
