"""The merchant's own URLs, sent events as the Standard Webhooks specification defines (standardwebhooks.com)."""

from adapters.standard_webhooks.sender import StandardWebhooks, new_secret, sign

__all__ = ["StandardWebhooks", "new_secret", "sign"]
