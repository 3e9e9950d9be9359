"""The admin session cookie, opened only where a session can be used: not for webhooks.

Flask opens the session on every request. For a signed cookie that means building a signing serializer
even when no cookie came, which a webhook, authenticated by its HMAC, never needs.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from connector import webhooks

SESSIONLESS_PREFIXES = (f"{webhooks.bp.url_prefix}/",)
"""Where a session is never used: every route of the webhooks blueprint."""


class AdminSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with a null session for webhook requests."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session; None (Flask's null session, which can't be written) for webhooks."""
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return None
        return super().open_session(app, request)
