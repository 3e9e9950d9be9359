"""The scheduler's hourly after-delivery work: surveys that are due, parcels late past their estimate,
and the digest of new care items."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.ops.after_delivery import surveys
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed


@timed
def after_delivery() -> dict[str, int]:
    """Send due surveys, flag late parcels, e-mail the care digest. Returns how many of each."""
    config = Config.from_env()
    storage = storage_for(config)
    queue = current_queue(config)
    sent = surveys.send_due(storage, queue, config)
    return {
        "surveys_sent": sum(1 for s in sent if s.skipped is None),
        "surveys_skipped": sum(1 for s in sent if s.skipped is not None),
        "late_parcels": surveys.flag_late_parcels(storage),
        "care_digest": surveys.care_digest(storage, queue, config),
    }
