"""members' e-mails kept as the inbox they reach (``email_key``: case, Unicode forms, quoting, +tags and
Gmail dots aside), so a referral can tell an existing customer however the address is written; shops named
in customer-facing links by a random handle instead of their number (shops from before keep answering at
their number, by redirect)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.rules.referrals import email_key

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
CHUNK = 5000


def upgrade() -> None:
    op.add_column("customers", sa.Column("email_key", sa.String(320)))
    op.add_column("shops", sa.Column("handle", sa.String(32)))
    op.add_column("shops", sa.Column("answers_at_id", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    customers = sa.table(
        "customers", sa.column("id", sa.Integer), sa.column("email", sa.String), sa.column("email_key", sa.String)
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.email)
            .where(customers.c.id > last, customers.c.email.is_not(None))
            .order_by(customers.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        conn.execute(
            customers.update().where(customers.c.id == sa.bindparam("row_id")).values(email_key=sa.bindparam("key")),
            [{"row_id": row.id, "key": email_key(row.email)} for row in rows],
        )
        last = rows[-1].id
    shops = sa.table(
        "shops", sa.column("id", sa.Integer), sa.column("handle", sa.String), sa.column("answers_at_id", sa.Boolean)
    )
    for (shop_id,) in conn.execute(sa.select(shops.c.id)).all():
        conn.execute(
            shops.update().where(shops.c.id == shop_id).values(handle=secrets.token_urlsafe(9), answers_at_id=True)
        )
    op.create_index("uq_shops_handle", "shops", ["handle"], unique=True)
    op.create_index("ix_customers_shop_email_key", "customers", ["shop_id", "email_key"])


def downgrade() -> None:
    op.drop_index("ix_customers_shop_email_key", table_name="customers")
    op.drop_index("uq_shops_handle", table_name="shops")
    op.drop_column("shops", "answers_at_id")
    op.drop_column("shops", "handle")
    op.drop_column("customers", "email_key")
