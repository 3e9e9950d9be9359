"""RQ jobs that e-mail sign-in links: a rewards-page link when the address is a member's, an admin link when it is one
of a shop's people (and nothing else)."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.db.tables import Shop
from connector.ops.merchants import sign_in as merchant_sign_in
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


def send_admin_link(email: str, lang: str) -> bool:
    """E-mail an admin sign-in link if ``email`` is one of a shop's people. Returns whether one was sent."""
    config = Config.from_env()
    return merchant_sign_in.send_link(storage_for(config), config, email, lang)
