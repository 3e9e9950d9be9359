"""The migrated schema is exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from connector.db import aftercare, programme_changes, referrals  # noqa: F401  (their tables belong to the metadata too)
from connector.db.storage import Storage
from connector.db.tables import Base


def test_migrations_match_the_models(storage: Storage) -> None:
    with storage.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
