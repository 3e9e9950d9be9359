"""What a running web app holds: its config, database and Redis, reachable from any request."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from redis import Redis
from rq import Queue

from connector.config import Config
from connector.db.storage import Storage
from connector.queue.drain import DrainMemo
from connector.queue.telemetry import LaterCounts


@dataclass
class Runtime:
    """The app's long-lived resources."""

    config: Config
    storage: Storage
    redis: Redis
    queue: Queue
    drain_memo: DrainMemo = field(default_factory=DrainMemo)
    later_counts: LaterCounts = field(default_factory=LaterCounts)


def runtime() -> Runtime:
    """The current app's Runtime."""
    return current_app.extensions["sadakat"]
