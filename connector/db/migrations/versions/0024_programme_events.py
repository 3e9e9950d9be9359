"""programme events and where they go: URLs signed as Standard Webhooks, Klaviyo, Shopify Flow; a tier set
by hand until a date

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.db.columns import UTCDateTime
from connector.db.crypto import EncryptedText

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "programme_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        _shop(),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE")),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "key", name="uq_programme_events_shop_key"),
    )
    op.create_index("ix_programme_events_shop", "programme_events", ["shop_id", "id"])
    op.create_index("ix_programme_events_customer_id", "programme_events", ["customer_id"])
    op.create_table(
        "event_destinations",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON()),
        sa.Column("secret", EncryptedText()),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("failing_since", UTCDateTime()),
        sa.Column("disabled_reason", sa.Text()),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_event_destinations_shop", "event_destinations", ["shop_id", "kind"])
    op.add_column("customers", sa.Column("tier_kept_until", sa.Date()))


def downgrade() -> None:
    op.drop_column("customers", "tier_kept_until")
    op.drop_index("ix_event_destinations_shop", table_name="event_destinations")
    op.drop_table("event_destinations")
    op.drop_index("ix_programme_events_customer_id", table_name="programme_events")
    op.drop_index("ix_programme_events_shop", table_name="programme_events")
    op.drop_table("programme_events")
