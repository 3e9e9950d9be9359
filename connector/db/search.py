"""Searching text the way people type it: without case or accents, so "uye" finds "Üye" and "sukru" finds
"Şükrü". The same folding runs in SQL (``translate`` and ``lower``: built into PostgreSQL, registered on
every SQLite connection) and in Python (for what the admin typed); a trigram index on each database finds
part of a name among a million customers without reading them all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table

from connector.db.tables import CustomerRecord

FOLD_FROM = "ÜüÖöÇçŞşĞğİıÂâÎîÛûÉéÈèÊêËëÀàÁáÄäÍíÏïÓóÔôÚúÑñ"
FOLD_TO = "uuooccssggiiaaiiuueeeeeeeeaaaaaaiiiioooouunn"
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """``text`` without case or accents."""
    return text.translate(_TABLE).lower()


SEARCH_TABLE = table("customers_search", column("folded"))
"""SQLite's index of customers' text: an FTS5 table of the trigrams of ``searchable_text`` (its rowid is the
customer's id), kept by triggers on ``customers`` (migration 0018). PostgreSQL indexes the same text with
a pg_trgm GIN index (``ix_customers_search``)."""


def searchable_text() -> ColumnElement[str]:
    """A customer's names and e-mail, folded, in SQL exactly as PostgreSQL's index ``ix_customers_search``
    has it (the constants written out, so the planner matches the index)."""

    def given(value: Any) -> Any:
        return func.coalesce(value, literal_column("''"))

    space = literal_column("' '")
    whole = given(CustomerRecord.first_name).concat(space).concat(given(CustomerRecord.last_name))
    whole = whole.concat(space).concat(given(CustomerRecord.email))
    return func.lower(func.translate(whole, literal_column(f"'{FOLD_FROM}'"), literal_column(f"'{FOLD_TO}'")))


def name_or_email_contains(dialect: str, text: str) -> ColumnElement[bool]:
    """Customers whose names or e-mail contain ``text`` (without case or accents), found through the
    database's trigram index."""
    wanted = fold(text)
    special = any(c in wanted for c in "\\%_")
    pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    escape = "\\" if special else None  # FTS5 reads a LIKE through its index only without ESCAPE
    if dialect == "sqlite":
        found = select(literal_column("rowid")).select_from(SEARCH_TABLE)
        return CustomerRecord.id.in_(found.where(SEARCH_TABLE.c.folded.like(pattern, escape=escape)))
    return searchable_text().like(pattern, escape=escape)


def sqlite_translate(text: str | None, source: str, target: str) -> str | None:
    """PostgreSQL's ``translate`` for SQLite: each character of ``source`` in ``text`` becomes the one at the
    same place in ``target``."""
    return None if text is None else text.translate(str.maketrans(source, target))
