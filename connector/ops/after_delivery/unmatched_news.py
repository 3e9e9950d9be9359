"""A cap on parcel news for tracking numbers no shipment of the shop has: past ``PER_DAY`` a day, such news
is counted, not kept, and one care item says so. Whoever holds a shop's carrier secret could otherwise
fill its storage and care queue with made-up tracking numbers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import update

from connector.db.after_delivery import CareItem
from connector.db.storage import Storage
from connector.settle.after_delivery import care

log = logging.getLogger(__name__)
PER_DAY = 200
TELL_EVERY = 100
"""The care item's count of news not kept is brought up to date this often."""


def over_the_day_limit(redis: Redis, storage: Storage, shop_id: int) -> bool:
    """Count one piece of unmatched news for the shop today; True once the day's ``PER_DAY`` are used, and
    then the care item says how many were not kept. With Redis down the news is kept, as before."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    key = f"sadakat:unmatched-news:{shop_id}:{day}"
    try:
        with redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * 86400)
            count = int(pipe.execute()[0])
    except RedisError:
        return False
    dropped = count - PER_DAY
    if dropped <= 0:
        return False
    if dropped == 1 or dropped % TELL_EVERY == 0:
        detail = (
            f"{PER_DAY} pieces of parcel news for unknown tracking numbers were kept on {day}; "
            f"{dropped} more were counted but not kept. Check the tracking service's settings."
        )
        item_key = f"unmatched-flood:{day}"
        with storage.session() as session:
            care.open_item(session, shop_id, "unmatched_flood", item_key, detail=detail)
            session.execute(
                update(CareItem).where(CareItem.shop_id == shop_id, CareItem.key == item_key).values(detail=detail)
            )
        log.warning("shop %s: %s pieces of unmatched parcel news not kept today", shop_id, dropped)
    return True
