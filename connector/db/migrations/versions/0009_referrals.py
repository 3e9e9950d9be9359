"""referrals: each member's link and each friend's claim; orders keep a fingerprint of their shipping
address (to tell a referrer's own order)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.tables

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = connector.db.tables.UTCDateTime(timezone=True)
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_key", sa.String(32), nullable=True))
    op.create_table(
        "referral_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.UniqueConstraint("shop_id", "code", name="uq_referral_links_shop_code"),
        sa.UniqueConstraint("shop_id", "customer_id", name="uq_referral_links_shop_customer"),
    )
    op.create_table(
        "referral_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("referrer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("friend_email", sa.String(320), nullable=False),
        sa.Column("friend_key", sa.String(320), nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("welcome_code", sa.String(64), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("order_total", connector.db.columns.MoneyText(), nullable=True),
        sa.Column("paid_at", stamp, nullable=True),
        sa.Column("hold_until", stamp, nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.UniqueConstraint("shop_id", "friend_key", name="uq_referral_claims_shop_friend"),
    )
    op.create_index("ix_referral_claims_shop_code", "referral_claims", ["shop_id", "welcome_code"])
    op.create_index("ix_referral_claims_address", "referral_claims", ["shop_id", "client_address", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_referral_claims_address", table_name="referral_claims")
    op.drop_index("ix_referral_claims_shop_code", table_name="referral_claims")
    op.drop_table("referral_claims")
    op.drop_table("referral_links")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_key")
