"""webhook events indexed by shop and time received, so the shop page counts its last 48 hours' events
from the index instead of reading every event the shop ever had

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


def downgrade() -> None:
    op.drop_index("ix_webhook_events_shop_received", table_name="webhook_events")
