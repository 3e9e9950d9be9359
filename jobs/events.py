"""RQ jobs for inbox events."""

from __future__ import annotations

import logging

from rq import get_current_job
from sqlalchemy.exc import DataError

from connector import inbox
from connector.config import Config
from connector.jobqueue import event_queue
from connector.storage import storage_for

log = logging.getLogger(__name__)


def process_event(event_id: int) -> str:
    """Apply one inbox event to the ledger. Idempotent; a retryable failure re-raises for RQ's retry."""
    storage = storage_for(Config.from_env())
    try:
        return inbox.process(storage, event_id)
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


def sweep_inbox() -> int:
    """Queue pending inbox events that never reached a queue (e.g. Redis was down at receive time)."""
    config = Config.from_env()
    job = get_current_job()
    assert job is not None, "sweep_inbox runs as an RQ job; use `sadakat sweep` from a shell"
    return inbox.sweep(storage_for(config), event_queue(job.connection), config.sweep_grace_seconds)
