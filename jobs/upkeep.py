"""The scheduler's store upkeep: the hourly store check, the nightly tier recompute and points expiry, daily gifts."""

from __future__ import annotations

import logging

from adapters.base import StoreError
from connector.config import Config
from connector.db.storage import storage_for
from connector.ops import maintenance
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed

log = logging.getLogger(__name__)


@timed
def check_stores() -> dict[str, int]:
    """Check every installed store; one store's failure doesn't stop the others. Returns orders reconciled."""
    config = Config.from_env()
    storage = storage_for(config)
    queue = current_queue(config)
    reconciled: dict[str, int] = {}
    for shop_id in maintenance.installed_shop_ids(storage):
        try:
            reconciled[str(shop_id)] = maintenance.check_store(storage, queue, config, shop_id).reconciled
        except StoreError as exc:
            log.warning("store check of shop %s failed: %s", shop_id, exc)
    return reconciled


@timed
def recompute_tiers() -> int:
    """The nightly tier recompute for every installed store. Returns how many members changed tier."""
    config = Config.from_env()
    queue = current_queue(config)
    return maintenance.recompute_tiers(storage_for(config), queue)


@timed
def daily_gifts() -> int:
    """Today's birthday codes, for every installed store."""
    config = Config.from_env()
    queue = current_queue(config)
    return maintenance.daily_gifts(storage_for(config), queue)


@timed
def expire_points() -> int:
    """The daily points expiry (and warnings), for every installed store."""
    config = Config.from_env()
    queue = current_queue(config)
    return maintenance.expire_points(storage_for(config), queue, config)
