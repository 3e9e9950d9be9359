"""tracking services: each shop's connections (secrets encrypted), tracking numbers matched without case or
spaces, where each piece of parcel news came from, and each shipment's expected delivery

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.crypto
import connector.db.tables

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    stamp = connector.db.tables.UTCDateTime(timezone=True)
    op.create_table(
        "carrier_connections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("secret", connector.db.crypto.EncryptedText(), nullable=True),
        sa.Column("token", connector.db.crypto.EncryptedText(), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.UniqueConstraint("shop_id", "service", name="uq_carrier_connections_shop_service"),
    )
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("tracking_key", sa.String(128), nullable=True))
        batch.add_column(sa.Column("estimated_delivery_at", stamp, nullable=True))
        batch.create_index("ix_shipments_tracking_key", ["shop_id", "tracking_key"])
    with op.batch_alter_table("tracking_events") as batch:
        batch.add_column(sa.Column("tracking_key", sa.String(128), nullable=True))
        batch.add_column(sa.Column("service", sa.String(32), nullable=True))
        batch.add_column(sa.Column("detail", sa.String(255), nullable=True))
        batch.add_column(sa.Column("test", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("event_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_tracking_events_key", ["shop_id", "tracking_key"])
    # The same normalisation as connector.model.tracking_key (tracking numbers hold no tabs or line breaks).
    for table in ("shipments", "tracking_events"):
        op.execute(f"UPDATE {table} SET tracking_key = upper(replace(tracking_number, ' ', ''))")
    op.execute("UPDATE tracking_events SET service = 'sadakat'")


def downgrade() -> None:
    with op.batch_alter_table("tracking_events") as batch:
        batch.drop_index("ix_tracking_events_key")
        for column in ("event_id", "test", "detail", "service", "tracking_key"):
            batch.drop_column(column)
    with op.batch_alter_table("shipments") as batch:
        batch.drop_index("ix_shipments_tracking_key")
        batch.drop_column("estimated_delivery_at")
        batch.drop_column("tracking_key")
    op.drop_table("carrier_connections")
