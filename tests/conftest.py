"""Shared fixtures: real databases and Redis only.

With DATABASE_URL / REDIS_URL set (as .ci/run does) the suite runs on those servers; otherwise on
SQLite and an embedded Valkey it starts itself. Only the stores' HTTP APIs are ever mocked.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, inspect, text
from werkzeug.serving import make_server

from adapters import use_database
from adapters.sandbox.records import sandbox_calls
from connector import create_app
from connector.config import Config
from connector.db import after_delivery, merchants, referrals, store_credit  # noqa: F401  (their tables belong to the metadata too)
from connector.db.storage import Storage, migrate, storage_for
from connector.db.tables import Base, Shop
from connector.ops.shops import register_shop
from connector.queue.connection import redis_connection
from connector.queue.embedded import start_valkey
from tests.support import ADMIN_PASSWORD, ADMIN_TOKEN, SANDBOX_SECRET, SHOPIFY_SECRET, WOO_SECRET, MailInbox


def _reset_database(url: str) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        if "test" not in (engine.url.database or ""):
            pytest.exit(f"refusing to wipe database {engine.url.database!r}: its name must contain 'test'")
        with engine.begin() as conn:
            names = inspect(conn).get_table_names()
            if names:
                conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    """The database and Redis for this run, migrated and exported to the environment for workers."""
    data_dir = tmp_path_factory.mktemp("data")
    valkey = None
    if not os.environ.get("REDIS_URL"):
        socket_path = Path(tmp_path_factory.mktemp("vk")) / "valkey.sock"
        valkey = start_valkey(socket_path, data_dir / "valkey", persist=False)
        os.environ["REDIS_URL"] = f"unix://{socket_path}"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'sadakat.db'}"
    os.environ["SADAKAT_DATA_DIR"] = str(data_dir)
    os.environ["SADAKAT_ADMIN_TOKEN"] = ADMIN_TOKEN
    os.environ["ADMIN_PASSWORD"] = ADMIN_PASSWORD
    os.environ["SADAKAT_SECRET_KEY"] = "test-secret-key-for-encryption-at-rest"
    os.environ["SHOPIFY_API_SECRET"] = SHOPIFY_SECRET
    os.environ["SHOPIFY_API_KEY"] = "test-api-key"
    config = Config.from_env()
    _reset_database(config.database_url)
    migrate(config)
    yield config
    if valkey is not None:
        valkey.stop()


@pytest.fixture
def config(services: Config) -> Iterator[Config]:
    """A clean database and Redis for each test."""
    storage = storage_for(services)
    use_database(lambda: storage.engine)  # where the sandbox store keeps its records
    with storage.engine.begin() as conn:
        conn.execute(sandbox_calls.delete())
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    redis_connection(services).flushdb()
    yield services


SECRETS_NEVER_LOGGED = (
    ADMIN_TOKEN,
    ADMIN_PASSWORD,
    SHOPIFY_SECRET,
    WOO_SECRET,
    "test-secret-key-for-encryption-at-rest",
    "shpat_x",
    "cs_x",
    "sandbox-secret",
)


@pytest.fixture(autouse=True)
def logs_hold_no_secrets(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Over the whole suite: no log line of ours carries a credential, a webhook secret or the admin's."""
    caplog.set_level("DEBUG")
    yield
    # caplog.records would be the teardown phase's (empty): read what setup and the test itself logged.
    records = caplog.get_records("setup") + caplog.get_records("call")
    leaked = [(r.name, secret) for r in records for secret in SECRETS_NEVER_LOGGED if secret in r.getMessage()]
    assert leaked == [], f"secrets in the logs: {leaked}"


@pytest.fixture(autouse=True)
def stores_are_mocked() -> Iterator[None]:
    """Stores' HTTP APIs are only ever mocked: a call no test mocked fails like an unreachable store."""
    responses.start()
    responses.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))  # our own server, in tests that run it
    yield
    responses.stop()
    responses.reset()


@pytest.fixture
def storage(config: Config) -> Storage:
    """The test process's Storage."""
    return storage_for(config)


@pytest.fixture
def redis(config: Config) -> Redis:
    """A client for the run's Redis."""
    return redis_connection(config)


@pytest.fixture
def app(config: Config) -> Flask:
    """The web app, as gunicorn would build it."""
    return create_app(config)


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    """The app served over real HTTP from a thread of this process (so the stores' APIs stay mocked)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def shopify_shop(storage: Storage, config: Config) -> Shop:
    """A Shopify shop registered by hand with its own webhook secret."""
    return register_shop(
        storage, config, "shopify", "sadakat-test.myshopify.com", {"access_token": "shpat_x"}, SHOPIFY_SECRET
    )


@pytest.fixture
def offline_shopify_shop(storage: Storage, config: Config) -> Shop:
    """A Shopify shop whose member records aren't written back: for tests whose workers run in
    subprocesses, where the store's API can't be mocked."""
    return register_shop(
        storage,
        config,
        "shopify",
        "sadakat-test.myshopify.com",
        {"access_token": "shpat_x"},
        SHOPIFY_SECRET,
        {"sync_customers": False},
    )


@pytest.fixture
def woo_shop(storage: Storage, config: Config) -> Shop:
    """A WooCommerce store registered by hand."""
    return register_shop(
        storage,
        config,
        "woocommerce",
        "https://woo.example.com",
        {"consumer_key": "ck_x", "consumer_secret": "cs_x"},
        WOO_SECRET,
    )


@pytest.fixture
def sandbox_shop(storage: Storage, config: Config) -> Shop:
    """A sandbox store: its "API" is our own database, so workers in other processes can call it."""
    return register_shop(storage, config, "sandbox", "demo", {}, SANDBOX_SECRET)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailInbox]:
    """A real SMTP server on localhost (aiosmtpd), and Sadakat configured to send through it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = MailInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SADAKAT_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("SADAKAT_MAIL_FROM", "Woo Shop <points@woo.example.com>")
    yield inbox
    controller.stop()
