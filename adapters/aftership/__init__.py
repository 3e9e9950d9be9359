"""AfterShip Tracking webhooks."""

from adapters.aftership.webhooks import AfterShip

__all__ = ["AfterShip"]
