"""Alembic environment: runs Sadakat's migrations against the configured database."""

from alembic import context
from sqlalchemy import create_engine, pool

from connector.db import after_delivery, merchants, referrals, store_credit  # noqa: F401  (their tables belong to the metadata too)
from connector.db.tables import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations online against ``sqlalchemy.url``."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
