"""Admin sessions, kept on the server (in Redis): the cookie holds only a random id.

A copied cookie is worth nothing once its session ends: at logout, after ``IDLE`` without a request, or
``ABSOLUTE`` after the login, and for every session when the admin password changes (each session keeps,
on the server, a fingerprint of the password it was opened with). The id changes at login. Webhooks,
authenticated by their HMAC, never open a session.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, Request, Response
from flask_session.redis import RedisSession, RedisSessionInterface
from redis import Redis
from redis.exceptions import RedisError

from connector.web import receiver as webhooks

SESSIONLESS_PREFIXES = (f"{webhooks.bp.url_prefix}/", "/rewards/", "/proxy", "/api/")
"""Where an admin session is never used: webhooks, and the pages customers open (which have their own)."""
KEY_PREFIX = "sadakat:admin-session:"
IDLE = timedelta(hours=2)
log = logging.getLogger(__name__)
ABSOLUTE = timedelta(hours=12)


class AdminSessionInterface(RedisSessionInterface):
    """Flask-Session's Redis sessions, with no session at all for webhook requests."""

    def __init__(self, app: Flask, redis: Redis) -> None:
        app.config["PERMANENT_SESSION_LIFETIME"] = IDLE  # refreshed by every request: the idle expiry
        super().__init__(app, client=redis, key_prefix=KEY_PREFIX, permanent=True, sid_length=32)

    def open_session(self, app: Flask, request: Request) -> RedisSession | None:  # type: ignore[override]
        """The request's session; None (Flask's null session, which can't be written) for webhooks."""
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return None
        try:
            return super().open_session(app, request)  # type: ignore[return-value]
        except RedisError:
            # No one is logged in while Redis is away; the page itself says so (503) where it needs Redis.
            return self.session_class(sid=self._generate_sid(self.sid_length), permanent=True)

    def save_session(self, app: Flask, session: RedisSession, response: Response) -> None:  # type: ignore[override]
        """Store the session; with Redis away it is simply not kept."""
        try:
            super().save_session(app, session, response)
        except RedisError:
            log.warning("the admin session could not be stored: Redis is unavailable")
