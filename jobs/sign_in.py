"""RQ job that e-mails a rewards-page sign-in link when the address is a member's (and does nothing else)."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.db.tables import Shop
from connector.ops.rewards import sign_in
from connector.outbox import pushes
from connector.queue.connection import current_queue, redis_connection


def send_link(shop_id: int, email: str) -> bool:
    """Request and queue the sign-in e-mail for ``email`` at the shop, if a member has it. Returns whether."""
    config = Config.from_env()
    storage = storage_for(config)
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return False
        push_id = sign_in.request_link(session, redis_connection(config), config, shop, email)
    if push_id is None:
        return False
    pushes.dispatch(storage, current_queue(config), [(push_id, shop_id)])
    return True
