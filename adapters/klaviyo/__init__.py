"""Klaviyo: each member's loyalty profile properties and the programme's events as Klaviyo metrics."""

from adapters.klaviyo.api import Klaviyo

__all__ = ["Klaviyo"]
