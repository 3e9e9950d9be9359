"""One log format for every process: an ISO 8601 time in UTC, the process's name and id, the level, the
logger and the message. RQ's line per job is kept for ``SADAKAT_LOG_LEVEL=debug``; business events (points
settled, adjustments, redemptions, codes) are logged at INFO with the shop and customer."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from gunicorn.glogging import Logger

FORMAT = "%(asctime)s %(process_label)s[%(process)d] %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
JOB_LOGGERS = ("rq.worker", "rq.queue", "rq.job", "rq.scheduler", "rq.cron")
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
"""gunicorn's access line after the one format's time and process: who, what, status, bytes, duration."""


class _ProcessLabel(logging.Filter):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_label = self.label
        return True


def _formatter() -> logging.Formatter:
    formatter = logging.Formatter(FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime
    return formatter


def configure(label: str) -> None:
    """Log this process (``web``, ``worker``, ``scheduler``...) in the one format, to standard error."""
    level = os.environ.get("SADAKAT_LOG_LEVEL", "info").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(_formatter())
    handler.addFilter(_ProcessLabel(label))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    for name in JOB_LOGGERS:  # a line per job only when asked for
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


class GunicornLogger(Logger):
    """gunicorn's own lines (booting, workers, each request) in the one format, labelled ``web``: use with
    ``--logger-class connector.logs.GunicornLogger`` and ACCESS_LOG_FORMAT."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's handlers, then the one format on each of them."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(_formatter())
                handler.addFilter(_ProcessLabel("web"))
