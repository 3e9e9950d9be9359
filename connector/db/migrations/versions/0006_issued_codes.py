"""issued codes: every code Sadakat asked a store to create, with the points paid for it (so points spent
on an order come back when the order is cancelled or refunded)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import connector.db.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", connector.db.columns.MoneyText(), nullable=False),
        sa.Column("points_paid", sa.BigInteger(), nullable=True),
        sa.Column("ends_at", connector.db.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", connector.db.tables.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shop_id", "code", name="uq_issued_codes_shop_code"),
    )
    op.create_index("ix_issued_codes_customer_id", "issued_codes", ["customer_id"])
    # Codes issued before this table existed, from the outbox pushes that created them.
    stamp = connector.db.tables.UTCDateTime(timezone=True)
    pushes = sa.table(
        "pushes",
        sa.column("shop_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("target", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("created_at", stamp),
    )
    customers = sa.table("customers", sa.column("id", sa.Integer()), sa.column("shop_id"), sa.column("key"))
    codes = sa.table(
        "issued_codes",
        *(sa.column(name) for name in ("shop_id", "code", "customer_id", "reason", "kind", "points_paid")),
        sa.column("value", connector.db.columns.MoneyText()),
        sa.column("ends_at", stamp),
        sa.column("created_at", stamp),
    )
    bind = op.get_bind()
    seen: set[tuple[int, str]] = set()
    query = (
        sa.select(pushes.c.shop_id, pushes.c.payload, pushes.c.created_at, customers.c.id)
        .join(customers, sa.and_(customers.c.shop_id == pushes.c.shop_id, customers.c.key == pushes.c.target))
        .where(pushes.c.kind == "discount_code")
    )
    for shop_id, payload, created_at, customer_id in bind.execute(query):
        data = json.loads(payload) if isinstance(payload, str) else payload
        if not data.get("code") or (shop_id, data["code"]) in seen:
            continue
        seen.add((shop_id, data["code"]))
        redemption = data.get("redemption") or {}
        bind.execute(
            codes.insert().values(
                shop_id=shop_id,
                code=data["code"],
                customer_id=int(redemption.get("customer") or customer_id),
                reason=data.get("reason") or "",
                kind=data.get("kind") or "fixed_amount",
                value=Decimal(str(data.get("value") or "0")),
                points_paid=redemption.get("points"),
                ends_at=datetime.fromisoformat(data["ends_at"]) if data.get("ends_at") else None,
                created_at=created_at,
            )
        )


def downgrade() -> None:
    op.drop_index("ix_issued_codes_customer_id", table_name="issued_codes")
    op.drop_table("issued_codes")
