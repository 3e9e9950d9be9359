"""RQ job that makes one outbox push to a store."""

from __future__ import annotations

import dataclasses

from adapters import get_adapter
from adapters.base import PermanentStoreError, RetryableStoreError
from connector.config import Config
from connector.db.storage import storage_for
from connector.outbox import deliveries, perform, pushes, tokens
from connector.outbox import requests as outbox
from connector.queue.connection import current_queue
from connector.queue.telemetry import timed
from connector.settle import redemption

UNEXPECTED_ERROR_RETRY_SECONDS = 60


@timed
def run_push(push_id: int) -> str:
    """Make the push once: done, failed with the store's message, or scheduled again after a retryable error."""
    config = Config.from_env()
    storage = storage_for(config)
    claimed = outbox.claim(storage, push_id)
    if claimed is None:
        return "skipped"
    adapter = get_adapter(claimed.platform)
    try:
        if claimed.kind not in perform.OFF_THE_STORE:  # e-mail and URLs are not the store's API
            claimed = dataclasses.replace(
                claimed, shop=tokens.fresh_access(storage, claimed.shop.shop_id, adapter, config)
            )
        object_id = perform.perform(storage, adapter, claimed, config)
    except RetryableStoreError as exc:
        delay = outbox.retry_later(
            storage,
            claimed,
            str(exc),
            exc.wait_seconds,
            _given_up(claimed),
            throttled=exc.throttled,
            schedule=perform.retry_delay(claimed.kind, claimed.attempts),
        )
        if delay is None:
            return "failed"
        pushes.dispatch(storage, current_queue(config), [(claimed.id, claimed.shop.shop_id)], delay=delay)
        return "retrying"
    except PermanentStoreError as exc:
        asked = outbox.fail(storage, claimed, str(exc), _given_up(claimed))
        pushes.dispatch(storage, current_queue(config), [(p, claimed.shop.shop_id) for p in asked])
        return "failed"
    except Exception as exc:
        # A bug, not the store: keep the push, retry later, and let RQ record the traceback.
        if outbox.retry_later(storage, claimed, f"{type(exc).__name__}: {exc}", UNEXPECTED_ERROR_RETRY_SECONDS):
            pushes.dispatch(
                storage, current_queue(config), [(claimed.id, claimed.shop.shop_id)], UNEXPECTED_ERROR_RETRY_SECONDS
            )
        raise
    done, follow_ups = outbox.complete(storage, claimed, object_id, perform.deliveries(claimed, config))
    if not done:
        # A newer state was requested while this ran: push again.
        pushes.dispatch(storage, current_queue(config), [(claimed.id, claimed.shop.shop_id)])
        return "done"
    pushes.dispatch(storage, current_queue(config), [(p, claimed.shop.shop_id) for p in follow_ups])
    return "done"


def _given_up(claimed: outbox.Claimed) -> outbox.FollowUp:
    """What follows when a push fails for good: a redemption's points come back; the next event delivery
    waiting behind it goes."""
    undo, wake = redemption.undo(claimed), deliveries.next_in_line(claimed)
    return lambda session: undo(session) + wake(session)
