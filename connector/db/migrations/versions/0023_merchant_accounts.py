"""merchant accounts: a shop's people and roles, its API tokens, e-mailed sign-in links, the audit trail, and
the owner's limit on support staff's adjustments

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.db.columns import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "shop_people",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "email", name="uq_shop_people_shop_email"),
    )
    op.create_index("ix_shop_people_email", "shop_people", ["email"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
        sa.UniqueConstraint("shop_id", "name", name="uq_api_tokens_shop_name"),
    )
    op.create_table(
        "admin_sign_in_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255)),
        sa.Column("before", sa.JSON()),
        sa.Column("after", sa.JSON()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_audit_entries_shop", "audit_entries", ["shop_id", "id"])
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("support_adjustment_limit", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("support_adjustment_limit")
    op.drop_index("ix_audit_entries_shop", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("admin_sign_in_links")
    op.drop_table("api_tokens")
    op.drop_index("ix_shop_people_email", table_name="shop_people")
    op.drop_table("shop_people")
