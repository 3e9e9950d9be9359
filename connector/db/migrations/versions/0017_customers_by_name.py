"""customers indexed by shop and name as the customer list sorts them, so its first page is read from the
index instead of sorting every customer of the shop

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    names = [sa.text(f"lower(coalesce({c}, ''))") for c in ("last_name", "first_name")]
    op.create_index("ix_customers_shop_name", "customers", ["shop_id", *names, "id"])


def downgrade() -> None:
    op.drop_index("ix_customers_shop_name", table_name="customers")
