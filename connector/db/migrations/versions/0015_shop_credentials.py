"""a store's API credentials in one encrypted field, named as its adapter names them, instead of a column
per platform's credential; access_token_expires_at becomes credentials_expire_at

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.db.crypto

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns of the platforms known before this revision. Each held one Fernet token, which moves as it is
# (never decrypted here): the new field keeps the same tokens under the same names.
NAMES = ("access_token", "consumer_key", "consumer_secret")


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("credentials", connector.db.crypto.EncryptedValues(), nullable=True))
        batch.alter_column("access_token_expires_at", new_column_name="credentials_expire_at")
    shops = sa.table("shops", sa.column("id", sa.Integer), sa.column("credentials", sa.Text), *map(sa.column, NAMES))
    conn = op.get_bind()
    for row in conn.execute(sa.select(shops.c.id, *(shops.c[name] for name in NAMES))).all():
        tokens = {name: row._mapping[name] for name in NAMES if row._mapping[name]}
        conn.execute(shops.update().where(shops.c.id == row.id).values(credentials=json.dumps(tokens)))
    with op.batch_alter_table("shops") as batch:
        batch.alter_column("credentials", existing_type=sa.Text(), nullable=False)
        for name in NAMES:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        for name in NAMES:
            batch.add_column(sa.Column(name, connector.db.crypto.EncryptedText(), nullable=True))
    shops = sa.table("shops", sa.column("id", sa.Integer), sa.column("credentials", sa.Text), *map(sa.column, NAMES))
    conn = op.get_bind()
    for row in conn.execute(sa.select(shops.c.id, shops.c.credentials)).all():
        tokens = json.loads(row.credentials or "{}")
        conn.execute(shops.update().where(shops.c.id == row.id).values({n: tokens.get(n) for n in NAMES}))
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("credentials")
        batch.alter_column("credentials_expire_at", new_column_name="access_token_expires_at")
