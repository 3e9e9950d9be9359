"""orders indexed by customer, so a member's spend and codes are read without scanning every order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_customer", "orders", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_customer", table_name="orders")
