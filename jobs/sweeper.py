"""The scheduler's sweeper job: queue inbox events and pushes that never reached (or lost) their job."""

from __future__ import annotations

from connector import inbox
from connector.config import Config
from connector.db.storage import storage_for
from connector.outbox import pushes
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed


@timed
def sweep(grace_seconds: int | None = None) -> dict[str, int]:
    """Queue stranded inbox events and pushes older than the grace period. Returns how many of each."""
    config = Config.from_env()
    grace = config.sweep_grace_seconds if grace_seconds is None else grace_seconds
    queue = current_queue(config)
    storage = storage_for(config)
    return {"events": inbox.sweep(storage, queue, grace), "pushes": pushes.sweep(storage, queue, grace)}
