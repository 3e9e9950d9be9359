"""Database engine, sessions and migrations for PostgreSQL and the embedded SQLite default."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from connector.config import Config
from connector.db.direct_statements import DirectStatements
from connector.db.search import sqlite_translate

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_TURN_SECONDS = 0.11
"""Longer than the longest sleep of SQLite's busy handler (100 ms), so every writer waiting for the lock
wakes and tries within it."""


Transaction = Session
DATABASE_ERROR = SQLAlchemyError
"""Anything the database refused or failed at."""
DATABASE_DOWN: tuple[type[Exception], ...] = (OperationalError, DBAPIError)
"""The database can't be reached or answered with an error of its own."""
UNSTORABLE = DataError
"""A value the database can't store (too long, out of range)."""
DUPLICATE = IntegrityError
"""A row that is already there (a unique key)."""
"""A transaction ``Storage.session`` opens, as the entry points hold it: they pass it to ops, never query."""


class Storage:
    """One process's engine and session factory."""

    def __init__(self, database_url: str, pool_size: int = 5) -> None:
        self.url = database_url
        self.engine = _make_engine(database_url, pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine.execution_options(read_only=True), expire_on_commit=False)
        self.direct = DirectStatements(_make_engine(database_url, pool_size, direct=True))
        """Statements run on every webhook: autocommit, on connections of their own."""

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error. ``read_only`` for
        one that only reads: on SQLite it then doesn't wait for, or hold up, writers."""
        with (self.read_sessions if read_only else self.sessions)() as session, session.begin():
            yield session

    def let_writers_in(self) -> None:
        """Between two transactions of a long job: on SQLite, give the writers waiting for the lock (webhooks
        being stored) their turn. Without it the job, taking the lock again at once, starves them for as
        long as it runs, however short each of its transactions."""
        if self.dialect == "sqlite":
            time.sleep(SQLITE_TURN_SECONDS)

    def ping(self) -> None:
        """Raise if the database can't be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def warm(self) -> None:
        """Connect once on each engine (so each knows the database's dialect), then close the connections: a
        process about to fork children (a worker) does this once, and each child only opens its own. The
        table mappings are set up too, once for every child."""
        configure_mappers()
        for engine in (self.engine, self.direct.engine):
            with engine.connect():
                pass
            engine.dispose()

    def dispose(self) -> None:
        """Close pooled connections (call after fork, or at exit)."""
        self.engine.dispose()
        self.direct.engine.dispose()


def _make_engine(url: str, pool_size: int, *, direct: bool = False) -> Engine:
    # ``direct``: for DirectStatements, in autocommit, with no ping on checkout and no rollback on return.
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if direct else {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            # Readable by its owner only; SQLite gives its -wal and -shm files the database file's mode.
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            Path(path).touch(mode=0o600, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
        _sqlite_pragmas(engine, checkpoint_pages=10_000 if direct else 1000)
        if not direct:
            _serialise_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=not direct, **options)


def _sqlite_pragmas(engine: Engine, checkpoint_pages: int) -> None:
    """WAL, a busy timeout (concurrent writers wait their turn instead of failing) and foreign keys."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint_pages}")
        cursor.close()
        dbapi_conn.create_function("translate", 3, sqlite_translate, deterministic=True)


def _serialise_sqlite_writers(engine: Engine) -> None:
    """BEGIN IMMEDIATE for every transaction that may write: writers queue for the lock up front."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


@cache
def insert_once(
    dialect: str, table: Table, columns: tuple[str, ...], unique: tuple[str, ...], returning: tuple[str, ...] = ()
) -> Any:
    """An INSERT of ``columns`` (bound by name) into ``table`` that does nothing where a row with the same
    ``unique`` columns exists, returning ``returning``; built once per dialect and shape, since the
    receiver, the ledger and settling run these for every event."""
    statement = (
        (postgresql if dialect == "postgresql" else sqlite)
        .insert(table)
        .values({column: bindparam(column) for column in columns})
        .on_conflict_do_nothing(index_elements=list(unique))
    )
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT for ``session``'s database that supports ``on_conflict_do_nothing`` / ``_do_update``."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


_storage: dict[str, Storage] = {}


def storage_for(config: Config) -> Storage:
    """This process's Storage for ``config``. A forked child (an RQ work horse, a web worker) keeps its
    parent's engines, ready to use, with none of the parent's connections: it opens its own."""
    if config.database_url not in _storage:
        _storage[config.database_url] = Storage(config.database_url)
    return _storage[config.database_url]


def _forget_connections_in_child() -> None:
    for storage in _storage.values():  # SQLAlchemy's way for a fork: the parent's connections stay the parent's
        storage.engine.dispose(close=False)
        storage.direct.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)


def migrate(config: Config) -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command

    command.upgrade(alembic_config(config), "head")


def alembic_config(config: Config) -> Any:
    """The Alembic configuration for ``config``'s database."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", config.database_url.replace("%", "%%"))
    if config.database_url.startswith("sqlite"):
        path = config.database_url.split("///", 1)[-1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return cfg
