"""Every error a request can meet, mapped to an answer with a status code and a reason, in one place: JSON for
scripts, and for a person's browser on a page (the admin pages, the rewards and referral pages) a page in
their language."""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from connector.db import storage
from connector.errors import Refused
from connector.language.catalogs import N_, Words

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 30


PAGE_PREFIXES = ("/admin/", "/rewards/", "/r/", "/unsubscribe/")
NOT_PAGES = ("/admin/api/",)
WORDS = Words(
    "customer",
    {
        "not_found": N_("Not found"),
        "not_found_words": N_("There is nothing here: the link may be old, or mistyped."),
        "forbidden": N_("Not for you"),
        "back": N_("Back"),
    },
)


def problem(status: int, reason: str, **extra: object) -> ResponseReturnValue:
    """An error answer: ``{"error": reason, ...}`` with ``status``; a person's browser asking for a page that
    isn't there gets a page in their language instead of JSON."""
    if status == 404 and _a_page_for_a_person():
        return _not_found_page(), 404
    if status == 403 and _a_page_for_a_person():  # the reason is already in the reader's words
        lang = _language()
        title, back = WORDS[lang]["forbidden"], WORDS[lang]["back"]
        home = "/admin/" if request.path.startswith("/admin/") else "/"
        return render_template("not_found.html", lang=lang, title=title, words=reason, back=back, home=home), 403
    return jsonify(error=reason, **extra), status


def _a_page_for_a_person() -> bool:
    if not has_request_context() or request.path.startswith(NOT_PAGES) or not request.path.startswith(PAGE_PREFIXES):
        return False
    if request.path.endswith((".js", ".css", ".csv")) or "/launcher/" in request.path or request.is_json:
        return False  # a script's answer, or the launcher's JSON
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html"


def _language() -> str:
    chosen = request.args.get("lang") or session.get("lang") or request.cookies.get("sadakat_lang")
    if chosen in WORDS:
        return str(chosen)
    return request.accept_languages.best_match(list(WORDS), default="en") or "en"


def _not_found_page() -> str:
    lang = _language()
    words = WORDS[lang]
    title, back = words["not_found"], words["back"]
    home = "/admin/" if request.path.startswith("/admin/") else "/"
    return render_template(
        "not_found.html", lang=lang, title=title, words=words["not_found_words"], back=back, home=home
    )


def _unavailable(reason: str) -> ResponseReturnValue:
    response = jsonify(error=reason)
    response.status_code = 503
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> ResponseReturnValue:
        # Every typed error of ours (connector/errors.py) answers its own status with its words.
        return problem(exc.status, str(exc))

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

    @app.errorhandler(storage.UNSTORABLE)
    def _unstorable(exc: Exception) -> ResponseReturnValue:
        # A value the database refuses (a NUL character, a number out of range): the request's fault.
        log.info("database refused a value: %s", type(exc.orig).__name__ if exc.orig else exc)
        return problem(400, "the request holds a value the database can't store or search for (e.g. a NUL character)")

    @app.errorhandler(storage.DATABASE_DOWN[0])
    @app.errorhandler(storage.DATABASE_DOWN[1])
    def _database_down(exc: Exception) -> ResponseReturnValue:
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return _unavailable("the database is unavailable; retry later")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return problem(500, "internal error")
