"""The application factory."""

from __future__ import annotations

import logging

from flask import Flask

from connector import admin, health, install, storefront, webhooks
from connector.config import Config
from connector.errors import register_error_handlers
from connector.jobqueue import event_queue, redis_connection
from connector.runtime import Runtime
from connector.storage import Storage


def create_app(config: Config | None = None) -> Flask:
    """Build the web app for ``config`` (default: from the environment)."""
    config = config or Config.from_env()
    app = Flask("sadakat")
    app.config["MAX_CONTENT_LENGTH"] = config.max_webhook_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    redis = redis_connection(config, fail_fast=True)
    app.extensions["sadakat"] = Runtime(
        config=config, storage=Storage(config.database_url), redis=redis, queue=event_queue(redis)
    )
    register_error_handlers(app)
    for blueprint in (webhooks.bp, admin.bp, health.bp, install.bp, storefront.bp):
        app.register_blueprint(blueprint)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app
