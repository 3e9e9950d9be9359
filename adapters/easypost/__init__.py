"""EasyPost tracker webhooks."""

from adapters.easypost.webhooks import EasyPost

__all__ = ["EasyPost"]
