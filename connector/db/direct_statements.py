"""Statements run on every webhook, straight on DB-API connections from a pool of their own.

Through a session or a pooled SQLAlchemy ``Connection``, the receiver's shop read and inbox insert cost a
pre-ping round trip (PostgreSQL), BEGIN and COMMIT, a reset on return, and SQLAlchemy's execution path:
about three times the statements' own work. Here each statement is compiled once for the dialect, with
its columns' bind and result processors (so encrypted secrets decrypt and dates format as usual), and
runs in autocommit on a connection from a small pool that neither pings nor resets, where a lone INSERT
is its own committed transaction. A connection found dead means the server dropped them all (a restart,
a failover): the pool is replaced and the statement run once more on a new connection. Driver errors
come out as SQLAlchemy's (``OperationalError``, ``IntegrityError``, ...), so callers and error handlers
treat them as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for a dialect: its SQL, how to order and convert its parameters, and how
    to convert the columns it returns."""

    def __init__(self, statement: ClauseElement, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.positional = compiled.positiontup is not None
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.binds)
        self.binds: dict[str, _Processor] = {
            name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        }
        # A SELECT's columns, or an INSERT's RETURNING ones.
        returned = statement.exported_columns  # type: ignore[attr-defined]
        self.results: tuple[_Processor, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned
        )

    def parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        """``values`` converted for the driver, in its parameter style."""
        converted = {name: (p(values[name]) if (p := self.binds[name]) else values[name]) for name in self.names}
        return [converted[name] for name in self.names] if self.positional else converted

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        """A returned row with each column converted as SQLAlchemy would."""
        return tuple(p(value) if p else value for p, value in zip(self.results, raw, strict=True))


class DirectStatements:
    """Runs prepared statements in autocommit on ``engine``'s pool (one made for this: autocommit, no
    pre-ping, no reset on return)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._prepared: dict[int, tuple[ClauseElement, Prepared]] = {}

    def first(self, statement: ClauseElement, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run ``statement`` (committed at once if it writes) and return its first row, converted."""
        prepared = self._prepare(statement)
        parameters = prepared.parameters(values)
        try:
            rows = self._execute(prepared.sql, parameters)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The connection had gone stale in the pool (the database restarted, say): once more on a new
            # one. Repeating is safe: a read, or an insert that does nothing if the first one got through.
            rows = self._execute(prepared.sql, parameters)
        return prepared.row(rows[0]) if rows else None

    def _prepare(self, statement: ClauseElement) -> Prepared:
        known = self._prepared.get(id(statement))
        if known is None or known[0] is not statement:
            known = (statement, Prepared(statement, self.engine))
            self._prepared[id(statement)] = known
        return known[1]

    def _execute(self, sql: str, parameters: list[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        dialect = self.engine.dialect
        try:
            connection = self.engine.raw_connection()
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(sql, exc, dialect, invalidated=False) from exc
        cursor = None
        try:
            cursor = connection.cursor()
            cursor.execute(sql, parameters)
            # Read to the end: on SQLite an INSERT ... RETURNING commits only once its statement is done.
            rows = cursor.fetchall() if cursor.description else []
            cursor.close()
            return rows
        except dialect.loaded_dbapi.Error as exc:
            disconnected = dialect.is_disconnect(exc, connection.dbapi_connection, cursor)
            if disconnected:
                with contextlib.suppress(Exception):  # closing a dead connection may fail too; it's gone anyway
                    connection.invalidate(exc)
                # The pool doesn't ping, and a restart or failover ends every connection at once: start a new
                # pool, so that the retry (and the next request) doesn't draw another dead one.
                self.engine.dispose()
            raise _wrapped(sql, exc, dialect, invalidated=disconnected) from exc
        finally:
            connection.close()  # back to the pool (or gone, if invalidated)


def _wrapped(sql: str, exc: Exception, dialect: Any, *, invalidated: bool) -> BaseException:
    return DBAPIError.instance(
        sql,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,  # the parameters are a webhook's body: not for logs
        connection_invalidated=invalidated,
        dialect=dialect,
    )
