"""RQ job that runs an import uploaded in the admin (or its dry run)."""

from __future__ import annotations

from connector.config import Config
from connector.db.storage import storage_for
from connector.ops.imports import runs
from connector.queue.connection import current_queue


def run_import(run_id: int) -> str:
    """Carry out the run: its status when it stops (``done``, ``failed``)."""
    config = Config.from_env()
    return runs.carry_out(storage_for(config), config.data_dir, run_id, current_queue(config))
