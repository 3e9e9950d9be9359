"""Who may use ``/admin``, and what they may do there, checked in one place (``require_admin``).

The operator (ADMIN_PASSWORD at /admin/login, or SADAKAT_ADMIN_TOKEN as a bearer token) reaches every shop
and the health pages. A shop's people sign in by an e-mailed link (/admin/sign-in) and reach their own shops,
each by their role there; a shop's API token reaches its shop by its role. Every admin route takes the shop
from its URL, and ``CAPABILITY`` says what each route needs: a route it doesn't name is the operator's.
Sessions are server-side (a cookie holds only their id) with a CSRF token on every form."""

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

from adapters import storefront_adapter
from adapters.base import BadToken
from connector import signed
from connector.ops import shops
from connector.ops.merchants import people, sign_in
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
    if session.get("admin") or session.get("person"):
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
    return {"t": text_for(), "csrf_token": csrf_token, "now": datetime.now(UTC), "access": g.get("access")}


def _csrf_ok() -> bool:
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if session.get("admin") or session.get("person"):
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


TOKEN_ROUTES = "token_create token_revoke api_tokens api_token_create api_token_revoke"
DESTINATION_ROUTES = (  # a shop's webhook endpoints and Klaviyo: its page and API
    "connections connections_add connections_remove connections_test connections_again connections_klaviyo "
    "api_webhooks api_webhook_add api_webhook_remove api_webhook_deliveries api_webhook_again api_webhook_test "
    "api_klaviyo api_klaviyo_set"
)
PROGRAMME_ROUTES = "import_page import_upload import_run import_go import_refused set_tier_by_hand"  # members
ANYONE = "anyone signed in"
"""What the overview, the shop list and the API's description need: each shows what its reader reaches."""
CAPABILITY: dict[str, str] = {
    "admin_pages.overview": ANYONE,
    "admin.list_shops": ANYONE,
    "api_docs.docs": ANYONE,
    "admin_pages.shop_page": "read",
    "admin.shop_metrics": "read",
    "admin.get_settings": "read",
    "admin.list_carriers": "read",
    "admin_pages.events_page": "operations",
    "admin_pages.event_action": "operations",
    "admin_pages.push_action": "operations",
    "admin_pages.save_carrier": "operations",
    "admin.put_carrier": "operations",
    "admin.list_events": "operations",
    "admin.retry_event": "operations",
    "admin.discard_event": "operations",
    "admin.list_pushes": "operations",
    "admin.retry_push": "operations",
    "admin.discard_push": "operations",
    "admin.list_exports": "operations",
    "admin.download_export": "operations",
    "admin.put_settings": "programme",
    "admin_programme.editor": "programme",
    "admin_programme.save": "programme",
    "admin_programme.preview_fragment": "programme",
    "admin.customer": "customers",
    "admin.shipment": "customers",
    "admin_customers.api_customers": "customers",
    "admin_customers.customers": "customers",
    "admin_customers.customers_csv": "customers",
    "admin_customers.customer": "customers",
    "admin_customers.adjust": "adjust",
    "admin_customers.api_adjust": "adjust",
    "admin_customers.issue_code": "codes",
    "admin.issue_code": "codes",
    **{f"admin_care.{name}": "care" for name in ["page", "act", "list_items", "api_code", "api_note", "api_resolve"]},
    **{f"admin_customers.{name}": "programme" for name in PROGRAMME_ROUTES.split()},
    "admin_referrals.page": "referrals",
    "admin_referrals.page_decide": "referrals",
    "admin_referrals.list_claims": "referrals",
    "admin_referrals.api_decide": "referrals",
    **{
        f"admin_people.{name}": "people"
        for name in ["page", "add", "remove", "support_limit", "api_people", "api_add", "api_remove"]
    },
    **{f"admin_people.{name}": "tokens" for name in TOKEN_ROUTES.split()},
    "admin_people.audit_page": "audit",
    "admin_mail.shop_inbox": "mailbox",
    "admin_mail.shop_message": "mailbox",
    "admin_people.api_audit": "audit",
    **{f"admin_people.{name}": "operations" for name in DESTINATION_ROUTES.split()},
}


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _person_session() -> str | None:
    email = session.get("person")
    login_at = session.get("login_at")
    if not isinstance(email, str) or not isinstance(login_at, int | float):
        return None
    return email if 0 <= time.time() - login_at < ABSOLUTE.total_seconds() else None


def current_access() -> people.Access | None:
    """Whom the request speaks for (read once per request), or None."""
    if "access" in g:
        return g.access  # type: ignore[no-any-return]
    found: people.Access | None = None
    g.by_bearer = False
    if bearer_ok():
        found, g.by_bearer = people.OPERATOR, True
    elif (token := _bearer()) is not None:
        found = people.access_of_token(runtime().storage, token) or shopify_staff(token)
        g.by_bearer = found is not None
    elif session_ok():
        found = people.OPERATOR
    elif (email := _person_session()) is not None:
        found = people.access_of_person(runtime().storage, email)
    g.access = found
    return found


def shopify_staff(token: str) -> people.Access | None:
    """A staff member of a Shopify shop, by the session token Shopify's admin gives the embedded app: the
    owner's reach at that installed shop (Shopify decides which staff may open the app). A customer's
    session token is no one's here."""
    if token.count(".") != 2:
        return None
    adapter = storefront_adapter()
    try:
        domain, customer_id, subject = adapter.session_customer(token, runtime().config)
    except BadToken:
        return None
    if customer_id is not None or not subject:
        return None
    shop, _ = shops.storefront_visit(runtime().storage, adapter.platform, domain, None)
    if shop is None:
        return None
    g.embedded_in = domain
    return people.Access(f"Shopify staff {subject} ({domain})", {shop.id: "owner"})


def require_admin() -> ResponseReturnValue | None:
    """``before_request`` for every admin route: who is asking (the operator, a person or a token), their
    CSRF token on anything a session changes, and whether they may use this route on the shop in its URL. A
    shop they don't reach is "not found" (its existence isn't told); a role that falls short is refused.
    Browsers are sent to sign in; scripts get a 401 saying how."""
    access = current_access()
    if access is None:
        if (
            request.method in SAFE_METHODS
            and request.path.startswith("/admin")
            and not request.path.startswith("/admin/api")
        ):
            return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
        return problem(
            401,
            "sign in at /admin/sign-in (or /admin/login), "
            "or send Authorization: Bearer <SADAKAT_ADMIN_TOKEN or a shop's API token>",
        )
    if not g.by_bearer and request.method not in SAFE_METHODS and not _csrf_ok():
        return problem(403, "missing or wrong CSRF token: reload the page and try again")
    if access.operator:
        return None
    need = CAPABILITY.get(request.endpoint or "")
    shop_id = (request.view_args or {}).get("shop_id")
    t = text_for()
    if need is None or (shop_id is None and need != ANYONE):
        return problem(403, t("operator_only"))
    if shop_id is None:
        return None
    if not isinstance(shop_id, int) or not access.may(shop_id, "read"):
        return problem(404, t("no_such_shop", shop=shop_id))
    if not access.may(shop_id, need):
        return problem(403, t("role_refused", role=t(f"role_{(access.roles or {})[shop_id]}")))
    return None


def who() -> str:
    """Who is making this request, for the record: a person, an API token, or the operator (by API or from an
    address)."""
    access = current_access()
    if access is not None and not access.operator:
        return access.name
    if bearer_ok():
        return "admin API"
    return f"admin pages ({request.remote_addr or 'unknown address'})"


def adjust_limit(shop_id: int) -> int | None:
    """The most points the caller may adjust at a time at the shop: support staff's limit, else no limit."""
    access = current_access()
    if access is None or access.roles is None or access.roles.get(shop_id) != "support":
        return None
    return people.support_limit(runtime().storage, shop_id)


def source() -> str:
    """Where the request came from, for the audit trail."""
    return request.remote_addr or "unknown address"


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


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page() -> ResponseReturnValue:
    """A shop's people sign in by e-mail: the form, and (POST) the link asked for, the same answer for every
    address."""
    t = text_for()
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("admin/sign_in.html", t=t, next=next_url, sent=None, error=None)
    if not _csrf_ok():
        return render_template("admin/sign_in.html", t=t, next=next_url, sent=None, error=t("csrf_failed")), 403
    email = (request.form.get("email") or "").strip()
    if "@" not in email or len(email) > people.MAX_EMAIL or not email.isprintable() or " " in email:
        page = render_template("admin/sign_in.html", t=t, next=next_url, sent=None, error=t("sign_in_bad_email"))
        return page, 400
    try:
        sign_in.ask(runtime().redis, runtime().queue, email, request.remote_addr, t.lang)
    except sign_in.TooManyTries:
        page = render_template("admin/sign_in.html", t=t, next=next_url, sent=None, error=t("sign_in_too_many"))
        return page, 429, {"Retry-After": str(sign_in.TRIES_SECONDS)}
    return render_template("admin/sign_in.html", t=t, next=next_url, sent=email, error=None)


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def sign_in_link(token: str) -> ResponseReturnValue:
    """The e-mailed link: a page whose button (POST) spends it and opens the person's session."""
    t = text_for()
    if request.method == "GET":
        return render_template("admin/sign_in_link.html", t=t, token=token, error=None)
    if not _csrf_ok():
        return render_template("admin/sign_in_link.html", t=t, token=token, error=t("csrf_failed")), 403
    email = sign_in.enter(runtime().storage, token)
    if email is None:
        return render_template("admin/sign_in_link.html", t=t, token=None, error=t("sign_in_link_bad")), 410
    lang = session.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]  # a new id: no fixation
    session.clear()
    session["person"] = email
    session["login_at"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)
    if lang:
        session["lang"] = lang
    return redirect(url_for("admin_pages.overview"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session."""
    if (session_ok() or _person_session()) and not _csrf_ok():
        return problem(403, "missing or wrong CSRF token: reload the page and try again")
    person = session.get("person")
    session.clear()
    return redirect(url_for("admin_auth.sign_in_page" if person else "admin_auth.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the admin pages between English and Turkish (kept in the session)."""
    if not _csrf_ok():
        return problem(403, "missing or wrong CSRF token: reload the page and try again")
    lang = request.form.get("lang", "")
    if lang not in ("en", "tr"):
        return problem(400, "lang must be en or tr")
    response = redirect(_safe_next(request.form.get("next")))
    if session.get("admin") or session.get("person"):
        session["lang"] = lang
    else:  # not signed in: a cookie, not a stored session
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, path="/admin", samesite="Lax")
    return response
