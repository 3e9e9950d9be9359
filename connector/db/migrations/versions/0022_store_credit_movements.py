"""store credit movements: each credit or debit Sadakat asked of a store's native store credit, with what
the store moved and any shortfall

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.db.columns import Money, UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_credit_movements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("moved", Money()),
        sa.Column("shortfall", Money()),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("points", sa.Integer()),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("push_id", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime()),
        sa.UniqueConstraint("shop_id", "key", name="uq_store_credit_movements_key"),
    )
    op.create_index("ix_store_credit_movements_customer", "store_credit_movements", ["shop_id", "customer_id", "id"])
    op.create_index("ix_store_credit_movements_order", "store_credit_movements", ["shop_id", "order_id"])


def downgrade() -> None:
    op.drop_table("store_credit_movements")
