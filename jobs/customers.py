"""The scheduler's hourly RFM roll-up: every customer's segment and last order, for the lists and figures."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.ops.customers import segments
from connector.queue.telemetry import timed


@timed
def roll_up_segments() -> int:
    """Roll up every installed shop's customer segments. Returns how many shops."""
    return segments.roll_up_all(storage_for(Config.from_env()))
