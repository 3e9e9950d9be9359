"""Every error a request can meet, mapped to a JSON answer with a status code and a reason, in one place."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 30


def problem(status: int, reason: str, **extra: object) -> ResponseReturnValue:
    """A JSON error answer: ``{"error": reason, ...}`` with ``status``."""
    return jsonify(error=reason, **extra), status


def _unavailable(reason: str) -> ResponseReturnValue:
    response = jsonify(error=reason)
    response.status_code = 503
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> ResponseReturnValue:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return problem(413, f"body is larger than the {limit} bytes accepted")

    @app.errorhandler(RedisError)
    def _redis_down(exc: RedisError) -> ResponseReturnValue:
        log.warning("redis unavailable: %s", type(exc).__name__)
        return _unavailable("Redis is unavailable; retry later")

    @app.errorhandler(RecursionError)
    def _too_deep(_exc: RecursionError) -> ResponseReturnValue:
        return problem(400, "the body is nested too deeply")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        return problem(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(DataError)
    def _unstorable(exc: DataError) -> ResponseReturnValue:
        # A value the database refuses (a NUL character, a number out of range): the request's fault.
        log.info("database refused a value: %s", type(exc.orig).__name__ if exc.orig else exc)
        return problem(400, "the request holds a value the database can't store or search for (e.g. a NUL character)")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database_down(exc: DBAPIError) -> ResponseReturnValue:
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return _unavailable("the database is unavailable; retry later")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return problem(500, "internal error")
