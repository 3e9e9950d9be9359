"""The application factory."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask

from connector import admin, admin_auth, admin_pages, health, install, prometheus, storefront, webhooks
from connector.config import Config
from connector.crypto import SecretKeyError, secret_key
from connector.errors import register_error_handlers
from connector.jobqueue import event_queue, redis_connection
from connector.runtime import Runtime
from connector.security_headers import register_security_headers
from connector.sessions import AdminSessionInterface
from connector.storage import Storage

ADMIN_SESSION_HOURS = 12


def create_app(config: Config | None = None) -> Flask:
    """Build the web app for ``config`` (default: from the environment)."""
    config = config or Config.from_env()
    app = Flask("sadakat", root_path=str(Path(__file__).parent))
    app.config["MAX_CONTENT_LENGTH"] = config.max_webhook_bytes
    app.config.update(
        SESSION_COOKIE_NAME="sadakat_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=ADMIN_SESSION_HOURS),
    )
    try:
        # The session cookie is signed with a key derived from (never equal to) the encryption key.
        app.secret_key = hmac.new(secret_key().encode(), b"sadakat-admin-cookie", hashlib.sha256).hexdigest()
    except SecretKeyError:
        app.secret_key = None  # the login page says what to set
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.session_interface = AdminSessionInterface()
    redis = redis_connection(config, fail_fast=True)
    app.extensions["sadakat"] = Runtime(
        config=config, storage=Storage(config.database_url), redis=redis, queue=event_queue(redis)
    )
    register_error_handlers(app)
    register_security_headers(app)
    for blueprint in (
        webhooks.bp,
        admin_auth.bp,
        admin_pages.bp,
        admin.bp,
        prometheus.bp,
        health.bp,
        install.bp,
        storefront.bp,
    ):
        app.register_blueprint(blueprint)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app
