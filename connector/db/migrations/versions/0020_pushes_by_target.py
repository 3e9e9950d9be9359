"""pushes indexed by shop and target, so a customer's redaction, data export or profile finds the calls
addressed to them (their key or e-mail) without reading every push the shop was ever owed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pushes_shop_target", "pushes", ["shop_id", "target"])


def downgrade() -> None:
    op.drop_index("ix_pushes_shop_target", table_name="pushes")
