"""each shop's currency (and whether the store confirmed it); only http(s) tracking URLs are kept

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("currency", sa.String(8), nullable=True))
        batch.add_column(sa.Column("currency_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in ("shipments", "tracking_events"):
        op.execute(
            f"UPDATE {table} SET tracking_url = NULL WHERE tracking_url IS NOT NULL "
            "AND lower(tracking_url) NOT LIKE 'https://%' AND lower(tracking_url) NOT LIKE 'http://%'"
        )


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("currency_confirmed")
        batch.drop_column("currency")
