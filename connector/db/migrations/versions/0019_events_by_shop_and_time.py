"""webhook events indexed by shop and time received, so the shop page counts its last 48 hours' events
from the index instead of reading every event the shop ever had; customers by shop and platform id, so a
search or a privacy request naming a store's customer id finds them without reading every customer

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_webhook_events_shop_received", "webhook_events", ["shop_id", "received_at"])
    op.create_index("ix_customers_shop_platform_id", "customers", ["shop_id", "platform_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_shop_platform_id", table_name="customers")
    op.drop_index("ix_webhook_events_shop_received", table_name="webhook_events")
