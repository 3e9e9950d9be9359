"""One log format for every process: an ISO 8601 time in UTC, the process's name and id, the level, the
logger and the message. RQ's line per job is kept for ``SADAKAT_LOG_LEVEL=debug``; business events (points
settled, adjustments, redemptions, codes) are logged at INFO with the shop and customer."""

from __future__ import annotations

import logging
import os
import time

FORMAT = "%(asctime)s %(process_label)s[%(process)d] %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
JOB_LOGGERS = ("rq.worker", "rq.queue", "rq.job", "rq.scheduler", "rq.cron")


class _ProcessLabel(logging.Filter):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_label = self.label
        return True


def configure(label: str) -> None:
    """Log this process (``web``, ``worker``, ``scheduler``...) in the one format, to standard error."""
    level = os.environ.get("SADAKAT_LOG_LEVEL", "info").upper()
    formatter = logging.Formatter(FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(_ProcessLabel(label))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    for name in JOB_LOGGERS:  # a line per job only when asked for
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
