"""``/healthz``: can this process reach its database and Redis, and is anyone processing the queue? And
``/favicon.ico``, which every browser asks for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, jsonify, send_from_directory
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from connector.db import storage
from connector.ops import status
from connector.web.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The icon browsers ask for on every page (the same as the pages' own ``<link rel="icon">``)."""
    response = send_from_directory(Path(__file__).with_name("static"), "favicon.svg", mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database and Redis answer, else 503 saying which doesn't. Workers and the scheduler
    are reported too; with none seen in the last minute the status is "degraded" but still 200, because
    this process can go on accepting webhooks durably (a load balancer must not take it out)."""
    checks: dict[str, str] = {}
    try:
        runtime().storage.ping()
        checks["database"] = "ok"
    except storage.DATABASE_ERROR as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        runtime().redis.ping()
        checks["redis"] = "ok"
    except RedisError as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    reachable = all(value == "ok" for value in checks.values())
    degraded = False
    if checks["redis"] == "ok":
        try:
            queue = status.queue_status(runtime().redis)
        except RedisError as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
            reachable = False
        else:
            now = datetime.now(UTC)
            for role, processes in (("workers", queue.workers), ("scheduler", queue.schedulers)):
                alive = len(queue.alive(processes, now))
                checks[role] = f"{alive} seen in the last minute" if alive else "none seen in the last minute"
                degraded = degraded or not alive
    state = "unhealthy" if not reachable else "degraded" if degraded else "ok"
    return jsonify(status=state, checks=checks), 200 if reachable else 503
