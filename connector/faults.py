"""Fail points: named places where the fault suite can freeze a process, to kill it exactly there.

Off unless ``SADAKAT_FREEZE_AT`` names the point (tests set it for a worker they then SIGKILL); costs one
environment lookup otherwise.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

FREEZE_SECONDS = 3600


def point(name: str) -> None:
    """Freeze here when SADAKAT_FREEZE_AT is ``name``: write our pid to SADAKAT_FREEZE_FILE, then sleep."""
    if os.environ.get("SADAKAT_FREEZE_AT") != name:
        return
    target = Path(os.environ["SADAKAT_FREEZE_FILE"])
    target.with_suffix(".tmp").write_text(str(os.getpid()))
    target.with_suffix(".tmp").replace(target)  # appears whole, never half-written
    time.sleep(FREEZE_SECONDS)
