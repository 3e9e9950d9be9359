"""The receive side: a webhook body is stored once (``receive``), then claimed and applied through the
settle engine (``process``); admins and the sweeper replay, retry, discard and list it (``replay``)."""

from connector.inbox.process import (
    Batch,
    Processed,
    claim_fresh,
    fail,
    process,
    process_batch,
    record_error,
)
from connector.inbox.receive import Stored, decode_json, store
from connector.inbox.replay import (
    STATUSES,
    SWEEP_MAX_ATTEMPTS,
    Replayed,
    count_events,
    counts_since,
    discard,
    event_rows,
    recent_events,
    replay,
    retry_event,
    sweep,
    topics,
)

__all__ = [
    "STATUSES",
    "SWEEP_MAX_ATTEMPTS",
    "Batch",
    "Processed",
    "Replayed",
    "Stored",
    "claim_fresh",
    "count_events",
    "counts_since",
    "decode_json",
    "discard",
    "event_rows",
    "fail",
    "process",
    "process_batch",
    "recent_events",
    "record_error",
    "replay",
    "retry_event",
    "store",
    "sweep",
    "topics",
]
