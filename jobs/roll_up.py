"""The scheduler's hourly roll-up of every shop's figures: each customer's RFM segment and last order, the members,
tiers, codes and points per day the lists and charts read."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.ops.customers import segments
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed


@timed
def roll_up_segments() -> int:
    """Roll up every installed shop's customer segments. Returns how many shops."""
    config = Config.from_env()
    return segments.roll_up_all(storage_for(config), queue=current_queue(config))


@timed
def roll_up_shop(shop_id: int) -> int:
    """One shop's first roll-up, queued by the first look at a large shop's figures. Returns its customers."""
    config = Config.from_env()
    return sum(segments.roll_up(storage_for(config), shop_id, queue=current_queue(config)).values())
