"""a trigram index of each customer's names and e-mail, folded (without case or accents), so a search for
part of a name reads the index instead of every customer: pg_trgm's GIN index on PostgreSQL; on SQLite an
FTS5 table of trigrams kept by triggers on ``customers``, which call the ``translate`` function the
application registers on its connections (a later revision that rebuilds ``customers`` in batch mode must
create the triggers again)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# connector/db/search.py's folding as of this revision
FOLD_FROM = "ÜüÖöÇçŞşĞğİıÂâÎîÛûÉéÈèÊêËëÀàÁáÄäÍíÏïÓóÔôÚúÑñ"
FOLD_TO = "uuooccssggiiaaiiuueeeeeeeeaaaaaaiiiioooouunn"


def _whole(row: str) -> str:
    return f"coalesce({row}first_name, '') || ' ' || coalesce({row}last_name, '') || ' ' || coalesce({row}email, '')"


def _folded(row: str) -> str:
    return f"lower(translate({_whole(row)}, '{FOLD_FROM}', '{FOLD_TO}'))"


def _translate(text: str | None, source: str, target: str) -> str | None:
    return None if text is None else text.translate(str.maketrans(source, target))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_customers_search ON customers USING gin (({_folded('')}) gin_trgm_ops)")
        return
    # SQLite has no translate(): the application registers one on every connection (as here), so the
    # triggers work for every writer that goes through it.
    op.get_bind().connection.driver_connection.create_function("translate", 3, _translate, deterministic=True)
    op.execute("CREATE VIRTUAL TABLE customers_search USING fts5(folded, tokenize = 'trigram')")
    op.execute(f"INSERT INTO customers_search (rowid, folded) SELECT id, {_folded('')} FROM customers")
    op.execute(
        "CREATE TRIGGER customers_search_added AFTER INSERT ON customers BEGIN"
        f" INSERT INTO customers_search (rowid, folded) VALUES (new.id, {_folded('new.')}); END"
    )
    op.execute(
        "CREATE TRIGGER customers_search_changed AFTER UPDATE OF first_name, last_name, email ON customers"
        " WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name"
        " OR old.email IS NOT new.email BEGIN"
        f" UPDATE customers_search SET folded = {_folded('new.')} WHERE rowid = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER customers_search_removed AFTER DELETE ON customers BEGIN"
        " DELETE FROM customers_search WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_customers_search")
        return
    for trigger in ("added", "changed", "removed"):
        op.execute(f"DROP TRIGGER customers_search_{trigger}")
    op.execute("DROP TABLE customers_search")
