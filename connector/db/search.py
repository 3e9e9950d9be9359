"""Searching text the way people type it: without case or accents, so "uye" finds "Üye" and "sukru" finds
"Şükrü". The same folding runs in SQL (``translate`` and ``lower``: built into PostgreSQL, registered on
every SQLite connection) and in Python (for what the admin typed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

FOLD_FROM = "ÜüÖöÇçŞşĞğİıÂâÎîÛûÉéÈèÊêËëÀàÁáÄäÍíÏïÓóÔôÚúÑñ"
FOLD_TO = "uuooccssggiiaaiiuueeeeeeeeaaaaaaiiiioooouunn"
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """``text`` without case or accents."""
    return text.translate(_TABLE).lower()


def folded(expression: Any) -> Any:
    """The SQL for ``expression`` without case or accents."""
    return func.lower(func.translate(expression, FOLD_FROM, FOLD_TO))


def sqlite_translate(text: str | None, source: str, target: str) -> str | None:
    """PostgreSQL's ``translate`` for SQLite: each character of ``source`` in ``text`` becomes the one at the
    same place in ``target``."""
    return None if text is None else text.translate(str.maketrans(source, target))
