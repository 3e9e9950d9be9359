"""the roll-up's figures for a shop (active members, repeat purchase, codes used) and each customer's order
count; ledger entries indexed by shop, kind and time for the month's points

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("orders_count", sa.Integer(), nullable=True))
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("rollup", sa.JSON(), nullable=True))
    op.create_index("ix_ledger_entries_shop_kind_created", "ledger_entries", ["shop_id", "kind", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_shop_kind_created", table_name="ledger_entries")
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("rollup")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("orders_count")
