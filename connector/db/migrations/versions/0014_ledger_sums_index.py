"""ledger entries indexed by shop, kind and rule with their points, and customers by shop and tier with their
points, so a shop's totals are summed from the indexes alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_shop_kind_rule_points", "ledger_entries", ["shop_id", "kind", "rule", "points"])
    op.create_index("ix_customers_shop_tier_points", "customers", ["shop_id", "tier", "platform_id", "points"])


def downgrade() -> None:
    op.drop_index("ix_customers_shop_tier_points", table_name="customers")
    op.drop_index("ix_ledger_entries_shop_kind_rule_points", table_name="ledger_entries")
