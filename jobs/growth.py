"""The scheduler's hourly referral check: rewards whose hold is over are granted."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.ops import maintenance
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed


@timed
def release_referral_rewards() -> int:
    """Grant held referral rewards whose hold is over, in every installed store. Returns how many."""
    config = Config.from_env()
    return maintenance.release_referral_rewards(storage_for(config), current_queue(config))
