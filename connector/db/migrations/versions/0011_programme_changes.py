"""every change to a shop's programme, who made it and the settings before and after

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.tables

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", connector.db.tables.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_programme_changes_shop", "programme_changes", ["shop_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_programme_changes_shop", table_name="programme_changes")
    op.drop_table("programme_changes")
