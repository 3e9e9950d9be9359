"""Which parcel news is worth telling: a parcel moves forward, never back, and problems count until it arrives.

A parcel moves forward through label → in transit → out for delivery → available for pickup → delivered
(→ returned). Delays, failed attempts and failures can happen any time before it is delivered.
"""

from __future__ import annotations

PROGRESS = ("label_created", "in_transit", "out_for_delivery", "available_for_pickup", "delivered", "returned")
PROBLEMS = frozenset({"delayed", "attempted_delivery", "failure"})
ARRIVED = ("delivered", "returned")


def is_news(status: str, progress: str | None) -> bool:
    """Whether ``status`` is worth telling, given how far the parcel is known to have come."""
    if status in PROBLEMS:
        return progress not in ARRIVED
    if status not in PROGRESS:
        return False
    return progress is None or PROGRESS.index(status) > PROGRESS.index(progress)


def further(progress: str | None, status: str | None) -> str | None:
    """The further along of two points on the parcel's way (problems don't move it)."""
    if status not in PROGRESS:
        return progress
    if progress is None or PROGRESS.index(status) > PROGRESS.index(progress):
        return status
    return progress
