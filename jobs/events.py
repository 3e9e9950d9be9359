"""RQ jobs for inbox events."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError

from connector import faults, inbox, pushes
from connector.config import Config
from connector.jobqueue import current_queue
from connector.storage import storage_for
from connector.telemetry import timed

log = logging.getLogger(__name__)


@timed
def process_event(event_id: int) -> str:
    """Apply one inbox event to the ledger. Idempotent; a retryable failure re-raises for RQ's retry."""
    config = Config.from_env()
    storage = storage_for(config)
    try:
        processed = inbox.process(storage, event_id)
    except DataError as exc:
        # The database refused a value in the payload: retrying would fail the same way.
        inbox.fail(storage, event_id, f"the payload holds a value the database can't store: {exc.orig}")
        return "failed"
    except Exception as exc:
        try:
            inbox.record_error(storage, event_id, f"{type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not record the failure of event %s", event_id)
        raise
    faults.point("event.after_commit")
    if processed.pushes:
        pushes.dispatch(storage, current_queue(config), processed.pushes)
    return processed.status
