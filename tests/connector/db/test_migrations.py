"""The migrated schema is exactly what the models describe, the sandbox store's own table included."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from adapters.sandbox.records import metadata as sandbox_metadata
from connector.db import after_delivery, merchants, referrals, store_credit  # noqa: F401  (their tables belong to the metadata too)
from connector.db.storage import Storage
from connector.db.tables import Base


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_match_the_models(storage: Storage) -> None:
    described = MetaData()
    for table in [*Base.metadata.tables.values(), *sandbox_metadata.tables.values()]:
        table.to_metadata(described)
    with storage.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _not_the_search_index})
        diff = compare_metadata(context, described)
    assert diff == []


def _not_the_search_index(name: str | None, kind: str, _parents: object) -> bool:
    """The customer search index, which no model describes: on SQLite an FTS5 table (and its own tables), on
    PostgreSQL a pg_trgm index (migration 0018)."""
    return not ((kind == "table" and (name or "").startswith("customers_search")) or name == "ix_customers_search")
