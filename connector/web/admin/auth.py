"""Who may use ``/admin``: an admin logged in with ADMIN_PASSWORD (session cookie + CSRF token on every form),
or a script sending SADAKAT_ADMIN_TOKEN as a bearer token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from connector import signed
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime
from connector.web.sessions import ABSOLUTE

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")

LOGIN_FAILURES_ALLOWED = 5
"""Failed logins from one address before it must wait ``LOGIN_LOCKOUT_SECONDS``."""
LOGIN_LOCKOUT_SECONDS = 15 * 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


ANONYMOUS_CSRF_COOKIE = "sadakat_form"
LANGUAGE_COOKIE = "sadakat_lang"


def csrf_token() -> str:
    """The CSRF token every form posts back: the signed-in admin's session's, else (the login page) one kept
    in a cookie of its own, so a visitor who isn't signed in never has a session stored for them."""
    if session.get("admin"):
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])
    if "anonymous_csrf" not in g:
        given = signed.token(request.cookies.get(ANONYMOUS_CSRF_COOKIE), signed.URL_SAFE, 64)
        g.anonymous_csrf = given if given and len(given) == 43 else secrets.token_urlsafe(32)
    return str(g.anonymous_csrf)


@bp.after_app_request
def _keep_anonymous_csrf(response: Response) -> Response:
    token = g.get("anonymous_csrf")
    if token and not signed.same(token, request.cookies.get(ANONYMOUS_CSRF_COOKIE)):
        response.set_cookie(
            ANONYMOUS_CSRF_COOKIE, token, max_age=2 * 3600, path="/admin", httponly=True, samesite="Strict",
            secure=request.is_secure,
        )  # fmt: skip
    return response


@bp.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {"t": text_for(), "csrf_token": csrf_token, "now": datetime.now(UTC)}


def _csrf_ok() -> bool:
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if session.get("admin"):
        return signed.same(str(session.get("csrf") or ""), given)
    return signed.same(request.cookies.get(ANONYMOUS_CSRF_COOKIE) or "", given)


def _password_fingerprint(password: str) -> str:
    # Kept in the server-side session (never in the cookie): changing ADMIN_PASSWORD ends every session.
    return hmac.new(password.encode(), b"sadakat-admin-session", hashlib.sha256).hexdigest()


def bearer_ok() -> bool:
    """Whether the request carries the admin bearer token."""
    expected = runtime().config.admin_token
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


def session_ok() -> bool:
    """Whether the request comes from a logged-in admin's browser."""
    password = runtime().config.admin_password
    given = str(session.get("admin") or "")
    if not (password and given and hmac.compare_digest(given, _password_fingerprint(password))):
        return False
    login_at = session.get("login_at")
    return isinstance(login_at, int | float) and 0 <= time.time() - login_at < ABSOLUTE.total_seconds()


def require_admin() -> ResponseReturnValue | None:
    """``before_request`` for every admin route: the bearer token, or a session (and its CSRF token on
    anything that changes state). Browsers are sent to the login page; scripts get a 401 saying how."""
    if bearer_ok():
        return None
    if session_ok():
        if request.method not in SAFE_METHODS and not _csrf_ok():
            return problem(403, "missing or wrong CSRF token: reload the page and try again")
        return None
    if (
        request.method in SAFE_METHODS
        and request.path.startswith("/admin")
        and not request.path.startswith("/admin/api")
    ):
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
    return problem(401, "log in at /admin/login, or send Authorization: Bearer <SADAKAT_ADMIN_TOKEN>")


def who() -> str:
    """Who is making this request, for the record: the admin API token, or the admin pages from an address."""
    if bearer_ok():
        return "admin API"
    return f"admin pages ({request.remote_addr or 'unknown address'})"


def _failure_key() -> str:
    return f"sadakat:login-failures:{request.remote_addr or 'unknown'}"


def _safe_next(target: str | None) -> str:
    # Only a path on this site: a crafted ?next= must not send the admin elsewhere after logging in.
    if not target or not target.startswith("/admin") or urlsplit(target).netloc or target.startswith("//"):
        return url_for("admin_pages.overview")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form, and checking it: five wrong passwords from one address lock it out for 15 minutes."""
    t = text_for()
    password = runtime().config.admin_password
    if not password:
        return render_template("admin/login.html", t=t, error=t("login_off"), disabled=True), 503
    if not current_app.secret_key:
        return render_template("admin/login.html", t=t, error=t("login_no_key"), disabled=True), 503
    redis = runtime().redis
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("admin/login.html", t=t, error=None, next=next_url)
    locked_for = redis.ttl(_failure_key())
    if int(redis.get(_failure_key()) or 0) >= LOGIN_FAILURES_ALLOWED:
        wait = max(int(locked_for), 1)
        page = render_template("admin/login.html", t=t, error=t("login_locked", minutes=-(-wait // 60)), next=next_url)
        return page, 429, {"Retry-After": str(wait)}
    if not _csrf_ok():
        return render_template("admin/login.html", t=t, error=t("csrf_failed"), next=next_url), 403
    given = request.form.get("password", "")
    if not hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(password.encode()).digest()):
        with redis.pipeline() as pipe:
            pipe.incr(_failure_key())
            pipe.expire(_failure_key(), LOGIN_LOCKOUT_SECONDS)
            pipe.execute()
        return render_template("admin/login.html", t=t, error=t("login_wrong"), next=next_url), 401
    redis.delete(_failure_key())
    lang = session.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]  # a new id: no fixation
    session.clear()
    session["admin"] = _password_fingerprint(password)
    session["login_at"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        session["lang"] = lang
    return redirect(next_url)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session."""
    if session_ok() and not _csrf_ok():
        return problem(403, "missing or wrong CSRF token: reload the page and try again")
    session.clear()
    return redirect(url_for("admin_auth.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the admin pages between English and Turkish (kept in the session)."""
    if not _csrf_ok():
        return problem(403, "missing or wrong CSRF token: reload the page and try again")
    lang = request.form.get("lang", "")
    if lang not in ("en", "tr"):
        return problem(400, "lang must be en or tr")
    response = redirect(_safe_next(request.form.get("next")))
    if session.get("admin"):
        session["lang"] = lang
    else:  # not signed in: a cookie, not a stored session
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, path="/admin", samesite="Lax")
    return response
