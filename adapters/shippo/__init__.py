"""Shippo tracking webhooks."""

from adapters.shippo.webhooks import Shippo

__all__ = ["Shippo"]
