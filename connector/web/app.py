"""The application factory."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from adapters import use_database
from connector import logs
from connector.config import Config
from connector.db.crypto import SecretKeyError, secret_key
from connector.db.storage import Storage
from connector.language.catalogs import LANGUAGES, NAMES, text_direction
from connector.queue.connection import event_queue, redis_connection
from connector.web import api_docs, embedded, health, install, prometheus
from connector.web import receiver as webhooks
from connector.web.admin import api as admin
from connector.web.admin import auth as admin_auth
from connector.web.admin import care_pages as admin_care
from connector.web.admin import customer_pages as admin_customers
from connector.web.admin import mailbox_pages as admin_mail
from connector.web.admin import pages as admin_pages
from connector.web.admin import people_pages as admin_people
from connector.web.admin import programme_pages as admin_programme
from connector.web.admin import referral_pages as admin_referrals
from connector.web.customer import (
    account_api,
    actions,
    launcher,
    referrals,
    rewards,
    rewards_proxy,
    storefront,
    surveys,
)
from connector.web.customer.rewards_texts import language_links
from connector.web.errors import register_error_handlers
from connector.web.runtime import Runtime
from connector.web.security_headers import register_security_headers
from connector.web.sessions import AdminSessionInterface
from connector.web.shop_ids import RowIdConverter, ShopIdConverter


class IsoJSONProvider(DefaultJSONProvider):
    """JSON answers write times and dates in ISO 8601, as everywhere else in the API (Flask's default is
    the HTTP date format)."""

    @staticmethod
    def default(o: Any) -> Any:
        """Times and dates as ISO 8601; anything else as Flask does."""
        if isinstance(o, datetime | date):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


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
    )
    try:
        # Flask wants a key for its cookie machinery; derived from (never equal to) the encryption key.
        app.secret_key = hmac.new(secret_key().encode(), b"sadakat-admin-cookie", hashlib.sha256).hexdigest()
    except SecretKeyError:
        app.secret_key = None  # the login page says what to set
    app.json = IsoJSONProvider(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    redis = redis_connection(config, fail_fast=True)
    app.session_interface = AdminSessionInterface(app, redis)
    storage = Storage(config.database_url)
    use_database(lambda: storage.engine)
    app.extensions["sadakat"] = Runtime(config=config, storage=storage, redis=redis, queue=event_queue(redis))
    app.url_map.converters["shop_id"] = ShopIdConverter
    app.url_map.converters["row_id"] = RowIdConverter
    app.jinja_env.globals["direction"] = text_direction
    app.jinja_env.globals["language_links"] = language_links
    app.jinja_env.globals["language_names"] = [(code, NAMES[code]) for code in LANGUAGES["customer"]]
    register_error_handlers(app)
    register_security_headers(app)
    prometheus.register_request_timing(app)
    for blueprint in (
        webhooks.bp,
        admin_auth.bp,
        admin_pages.bp,
        admin_programme.bp,
        admin_customers.bp,
        admin.bp,
        admin_care.bp,
        admin_mail.bp,
        admin_referrals.bp,
        admin_people.bp,
        prometheus.bp,
        health.bp,
        install.bp,
        storefront.bp,
        surveys.bp,
        referrals.bp,
        actions.bp,
        rewards.bp,
        rewards_proxy.bp,
        launcher.bp,
        account_api.bp,
        api_docs.bp,
        embedded.bp,
        webhooks.flow,
    ):
        app.register_blueprint(blueprint)
    app.wsgi_app = webhooks.FastPath(app)  # type: ignore[method-assign]
    if not logging.getLogger().handlers:  # not under a test runner that captures the logs
        logs.configure("web")
    return app
