"""ledger entries indexed by source, so settling an order reads only that order's entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_source", "ledger_entries", ["shop_id", "source_type", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_source", table_name="ledger_entries")
