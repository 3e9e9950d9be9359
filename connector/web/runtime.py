"""What a running web app holds: its config, database and Redis, reachable from any request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis import Redis
from rq import Queue

from connector.config import Config
from connector.db.storage import Storage


@dataclass
class Runtime:
    """The app's long-lived resources."""

    config: Config
    storage: Storage
    redis: Redis
    queue: Queue


def runtime() -> Runtime:
    """The current app's Runtime."""
    return current_app.extensions["sadakat"]
