"""after delivery: each order's NPS survey, addresses that unsubscribed, and the care queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.tables

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = connector.db.tables.UTCDateTime(timezone=True)
    shop = sa.ForeignKey("shops.id", ondelete="CASCADE")
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), shop, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("delivered_at", stamp, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("skip_reason", sa.String(255), nullable=True),
        sa.Column("sent_at", stamp, nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", stamp, nullable=True),
        sa.UniqueConstraint("shop_id", "order_id", name="uq_surveys_shop_order"),
    )
    op.create_index("ix_surveys_status_delivered", "surveys", ["status", "delivered_at"])
    op.create_table(
        "unsubscribes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.UniqueConstraint("shop_id", "email", name="uq_unsubscribes_shop_email"),
    )
    op.create_table(
        "care_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("tracking_number", sa.String(128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("resolved_at", stamp, nullable=True),
        sa.Column("digest_sent_at", stamp, nullable=True),
        sa.UniqueConstraint("shop_id", "key", name="uq_care_items_shop_key"),
    )
    op.create_index("ix_care_items_shop_status", "care_items", ["shop_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_care_items_shop_status", table_name="care_items")
    op.drop_table("care_items")
    op.drop_table("unsubscribes")
    op.drop_index("ix_surveys_status_delivered", table_name="surveys")
    op.drop_table("surveys")
