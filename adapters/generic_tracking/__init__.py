"""Sadakat's own tracking format, for carriers and scripts that post to ``/webhooks/carrier/<shop id>``."""

from adapters.generic_tracking.webhooks import GenericTracking

__all__ = ["GenericTracking"]
