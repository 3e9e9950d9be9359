"""each customer's RFM segment and last order, as the latest roll-up found them, and when it ran; a note on
ledger entries (why an admin adjusted a balance)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.tables

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = connector.db.tables.UTCDateTime(timezone=True)
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("segment", sa.String(16), nullable=True))
        batch.add_column(sa.Column("last_order_at", stamp, nullable=True))
    op.create_index("ix_customers_shop_segment", "customers", ["shop_id", "segment"])
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("segmented_at", stamp, nullable=True))
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("note", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("segmented_at")
    op.drop_index("ix_customers_shop_segment", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("last_order_at")
        batch.drop_column("segment")
