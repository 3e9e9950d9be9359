"""The hosted rewards page, ``/rewards/<shop handle>``, for any store: the programme for everyone; a member signs
in with a single-use link by e-mail (or straight from the store's own site with a link it signs) and then
sees their points, tier, codes and history, redeems points and sets their birthday. Every form works
without JavaScript and carries a CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from connector import signed
from connector.errors import Invalid, NotFound
from connector.language import formats
from connector.ops import Shop, shops
from connector.ops.rewards import sign_in
from connector.ops.rewards.view import Member, member_view, programme_view
from connector.outbox import pushes
from connector.programme import programme_of, shop_currency
from connector.settle import gifts, redemption
from connector.settle.growth import referrals
from connector.web.customer.referrals import share_links
from connector.web.customer.rewards_texts import WORDS, visitor_language
from connector.web.customer.shop_links import read_shop_names
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("rewards", __name__)
read_shop_names(bp)
ENTER_COOKIE = "sadakat_enter"
COOKIE = "sadakat_rewards"
FORM_SECONDS = 2 * 3600
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def _policy(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # a sign-in link's token never leaves in a Referer
    return response


def form_token(shop: Shop, purpose: str, at: int | None = None) -> str:
    """A token for a form shown to ``purpose`` (a visitor, a customer), valid two hours."""
    at = int(time.time()) if at is None else at
    mac = hmac.new((shop.code_secret or "").encode(), f"rewards-form:{shop.id}:{purpose}:{at}".encode(), hashlib.sha256)
    return f"{at}.{mac.hexdigest()[:32]}"


def form_token_ok(shop: Shop, purpose: str, given: str | None) -> bool:
    """Whether ``given`` is a fresh token from ``form_token``."""
    parts = signed.timed(given)
    return (
        parts is not None
        and 0 <= time.time() - parts[0] < FORM_SECONDS
        and signed.same(form_token(shop, purpose, parts[0]), given)
    )


def example_amount() -> Decimal | None:
    """The order amount the visitor asked the points of (``?amount=``), if it is one."""
    try:
        amount = Decimal(request.args.get("amount", ""))
    except InvalidOperation:
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and 0 <= amount <= 1_000_000 else None


def render(
    shop: Shop,
    lang: str,
    template: str,
    urls: dict[str, str],
    member: Member | None,
    status: int = 200,
    **values: Any,
) -> tuple[str, int]:
    """The rewards page (or its content alone, for the app proxy) in ``lang``."""
    programme, view, w = programme_of(shop), programme_view(shop, lang, example_amount()), WORDS[lang]
    referral_url, share = None, []
    if member is not None and member.referral_code:
        referral_url = f"{runtime().config.public_url}/r/{shop.handle}/{member.referral_code}"
        share = share_links(referral_url, w["share_text"].format(shop=view.shop), w["share_email"])
    html = render_template(
        template,
        lang=lang,
        w=w,
        p=view,
        m=member,
        urls=urls,
        minimum=formats.number(programme.redemption.minimum_points, lang),
        num=lambda n: formats.number(n, lang),
        redeem_key=secrets.token_urlsafe(12),
        referral_url=referral_url,
        share=share,
        signup_url=programme.signup_url,
        referrals_made=sum(n for s, n in (member.referrals if member else {}).items() if s != "refused"),
        amount=request.args.get("amount", ""),
        **values,
    )
    return html, status


def read_member(shop: Shop, customer_id: int, lang: str) -> Member | None:
    """The member's view (their referral link made on first asking)."""
    storage = runtime().storage
    with storage.session(read_only=True) as session:
        customer = shops.member_in(session, customer_id)
        if customer is None or customer.shop_id != shop.id:
            return None
        member = member_view(session, shop, customer, lang)
    if member.referral_code is None and programme_of(shop).referrals.enabled and customer.platform_id:
        with storage.session() as session:
            member.referral_code = referrals.link_code(session, shop, customer)
    return member


def redeem_for(shop: Shop, customer_id: int, lang: str) -> tuple[dict[str, Any], str | None]:
    """Redeem the form's points: (what the page shows of it, None) or ({}, the words key of what went wrong).
    The first press asks "Spend 500 points for 5.00 USD?" and spends nothing; the answer "yes" redeems. A code
    is shown with its Copy button; store credit is said in words."""
    if request.form.get("confirmed") != "yes":
        rules = programme_of(shop).redemption
        points = request.form.get("points") or ""
        if not points.isascii() or not points.isdigit() or len(points) > 12:
            return {}, "redeem_failed"
        value = formats.money(Decimal(points) / rules.points_per_unit, shop_currency(shop), lang)
        return {"confirm": {"points": int(points), "value": value, "key": request.form.get("key") or ""}}, None
    try:
        done = redemption.redeem(
            runtime().storage, shop.id, customer_id, request.form.get("points"), request.form.get("key") or None
        )
    except (redemption.RedemptionError, LookupError):
        return {}, "redeem_failed"
    pushes.dispatch(runtime().storage, runtime().queue, done.pushes)
    w = WORDS[lang]
    if done.reward == redemption.STORE_CREDIT:
        return {"notice": w["credit_added"].format(amount=formats.money(done.value, done.currency, lang))}, None
    shown: dict[str, Any] = {"shown_code": done.code}
    if done.fallback:
        shown["notice"] = w["credit_fallback"]
    return shown, None


def birthday_for(customer_id: int) -> str:
    """Save the form's birthday: the words key of the outcome."""
    try:
        gifts.record_birthday(runtime().storage, customer_id, request.form.get("birthday"))
    except gifts.BirthdayAlreadySet:
        return "birthday_again"
    except (Invalid, NotFound):  # a date that isn't one, or no such member
        return "birthday_bad"
    return "birthday_saved"


def shop_for(shop_id: int) -> Shop | None:
    """The installed shop ``shop_id``, or None."""
    with runtime().storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        return shop if shop is not None and shop.uninstalled_at is None else None


def _urls(handle: str) -> dict[str, str]:
    base = f"/rewards/{handle}"
    return {
        "page": base,
        "colours": f"{base}/colours.css",
        "sign_in": f"{base}/sign-in",
        "enter": f"{base}/enter",
        "redeem": f"{base}/redeem",
        "birthday": f"{base}/birthday",
        "sign_out": f"{base}/sign-out",
    }


def _visitor(shop: Shop) -> sign_in.Visitor | None:
    try:
        return sign_in.visitor(runtime().redis, shop.id, request.cookies.get(COOKIE))
    except RedisError:
        return None


def _page(
    shop: Shop, lang: str, visitor: sign_in.Visitor | None, status: int = 200, **values: Any
) -> ResponseReturnValue:
    member = read_member(shop, visitor.customer_id, lang) if visitor else None
    csrf = visitor.csrf if member and visitor else form_token(shop, "visitor")
    return render(shop, lang, "rewards/page.html", _urls(shop.handle), member, status, hosted=True, csrf=csrf, **values)


def _reader_language(shop: Shop, visitor: sign_in.Visitor | None) -> str:
    """The page's language for this visitor, the member's own language (as the store knows it) among the
    choices once they are signed in."""
    known = None
    if visitor is not None:
        with runtime().storage.session(read_only=True) as session:
            member = shops.member_in(session, visitor.customer_id)
            known = member.locale if member is not None and member.shop_id == shop.id else None
    return visitor_language(programme_of(shop).locale, known)


def _signed_in(shop: Shop, sid: str, lang: str | None) -> Response:
    response = redirect(f"/rewards/{shop.handle}" + (f"?lang={lang}" if lang else ""), 303)
    response.set_cookie(
        COOKIE,
        sid,
        max_age=sign_in.SESSION_SECONDS,
        path=f"/rewards/{shop.handle}",
        httponly=True,
        samesite="Lax",
        secure=runtime().config.public_url.startswith("https://"),
    )
    return response


@bp.get("/rewards/<shop_id>")
def page(shop_id: int) -> ResponseReturnValue:
    """The rewards page: the member's own once signed in, else the programme and the sign-in form. A link the
    store's site signed (``customer``, ``ts``, ``sig``) signs the customer straight in."""
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    if "sig" in request.args:
        return _store_link(shop, visitor_language(programme_of(shop).locale))
    visitor = _visitor(shop)
    return _page(shop, _reader_language(shop, visitor), visitor)


def _store_link(shop: Shop, lang: str) -> ResponseReturnValue:
    ident, at, sig = (request.args.get(name, "") for name in ("customer", "ts", "sig"))
    redis = runtime().redis
    if sign_in.store_link_ok(redis, shop.customer_api_key, shop.id, ident, at, sig, time.time()):
        with runtime().storage.session(read_only=True) as session:
            customer = shops.find_member(session, shop.id, ident)
            customer_id = customer.id if customer else None
        if customer_id is not None:  # the language the visitor chose goes with them; else theirs decides there
            chosen = request.args.get("lang") if request.args.get("lang") in WORDS else None
            return _signed_in(shop, sign_in.open_session(redis, shop.id, customer_id), chosen)
    return _page(shop, lang, None, 403, error=WORDS[lang]["link_bad"])


@bp.post("/rewards/<shop_id>/sign-in")
def ask_link(shop_id: int) -> ResponseReturnValue:
    """E-mail a sign-in link if the address is a member's; the answer is the same either way."""
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    lang = visitor_language(programme_of(shop).locale)
    w, email = WORDS[lang], (request.form.get("email") or "").strip()
    if not form_token_ok(shop, "visitor", request.form.get("csrf")):
        return _page(shop, lang, None, 400, error=w["form_expired"], email=email)
    if len(email) > 320 or not EMAIL.fullmatch(email):
        return _page(shop, lang, None, 400, error=w["email_bad"], email=email)
    try:
        sign_in.ask(runtime().redis, runtime().queue, shop, email, request.remote_addr)
    except sign_in.TooManyTries:
        return _page(shop, lang, None, 429, error=w["too_many"])
    except RedisError:
        return _page(shop, lang, None, 503, error=w["busy"])
    return _page(shop, lang, None, notice=w["link_sent"].format(email=email))


@bp.route("/rewards/<shop_id>/enter", methods=["GET", "POST"])
def enter(shop_id: int) -> ResponseReturnValue:
    """A sign-in link: GET shows one button (so a mail scanner opening the link doesn't use it up); POST uses
    the link and opens the session."""
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    lang = visitor_language(programme_of(shop).locale)
    w = WORDS[lang]
    if request.method == "GET":
        token = request.args.get("t", "")[:100]
        nonce = secrets.token_urlsafe(24)
        page = render(
            shop,
            lang,
            "rewards/page.html",
            _urls(shop.handle),
            None,
            enter_token=token,
            title=w["enter_title"],
            csrf=_enter_proof(shop, nonce),
        )
        response = make_response(page)
        response.set_cookie(
            ENTER_COOKIE, nonce, max_age=sign_in.LINK_SECONDS, path=f"/rewards/{shop.handle}", httponly=True,
            samesite="Strict", secure=runtime().config.public_url.startswith("https://"),
        )  # fmt: skip
        return response
    if not _same_origin() or not signed.same(
        _enter_proof(shop, request.cookies.get(ENTER_COOKIE) or ""), request.form.get("csrf")
    ):
        return _page(shop, lang, None, 400, error=w["form_expired"])
    try:
        sid = sign_in.enter(runtime().redis, shop.id, (request.form.get("t") or "")[:100])
    except RedisError:
        return _page(shop, lang, None, 503, error=w["busy"])
    if sid is None:
        return _page(shop, lang, None, 400, error=w["link_bad"])
    return _signed_in(shop, sid, None)  # their own language, or the one they chose, decides there


def _enter_proof(shop: Shop, nonce: str) -> str:
    """What the Continue form carries: bound to the cookie this browser got with the form, so another site
    can't post its own sign-in link into a visitor's browser (login CSRF)."""
    if not nonce:
        return ""
    mac = hmac.new((shop.code_secret or "").encode(), f"enter:{nonce}".encode(), hashlib.sha256)
    return mac.hexdigest()


def _same_origin() -> bool:
    """Whether a form post may come from our own pages: browsers send ``Origin`` with every cross-site POST
    (``null`` from pages like ours with ``Referrer-Policy: no-referrer``; the cookie-bound token decides then)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    own = {request.host_url.rstrip("/"), runtime().config.public_url.rstrip("/")}
    return origin in own


def _member_post(shop_id: int) -> tuple[Shop, str, sign_in.Visitor] | ResponseReturnValue:
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    visitor = _visitor(shop)
    lang = _reader_language(shop, visitor)
    if visitor is None:
        return _page(shop, lang, None, 401, error=WORDS[lang]["link_bad"])
    if not signed.same(visitor.csrf, request.form.get("csrf")):
        return _page(shop, lang, visitor, 400, error=WORDS[lang]["form_expired"])
    return shop, lang, visitor


@bp.post("/rewards/<shop_id>/redeem")
def redeem(shop_id: int) -> ResponseReturnValue:
    """Redeem points for a code: the page shows the code (and it is e-mailed)."""
    found = _member_post(shop_id)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, lang, visitor = found
    shown, failed = redeem_for(shop, visitor.customer_id, lang)
    if failed:
        return _page(shop, lang, visitor, 400, error=WORDS[lang][failed])
    return _page(shop, lang, visitor, 200 if "confirm" in shown else 201, **shown)


@bp.post("/rewards/<shop_id>/birthday")
def birthday(shop_id: int) -> ResponseReturnValue:
    """Set the member's birthday, once."""
    found = _member_post(shop_id)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, lang, visitor = found
    outcome = birthday_for(visitor.customer_id)
    status = 200 if outcome == "birthday_saved" else 409 if outcome == "birthday_again" else 400
    key = "notice" if status == 200 else "error"
    return _page(shop, lang, visitor, status, **{key: WORDS[lang][outcome]})


@bp.post("/rewards/<shop_id>/sign-out")
def sign_out(shop_id: int) -> ResponseReturnValue:
    """End the session."""
    found = _member_post(shop_id)
    if not isinstance(found, tuple) or not isinstance(found[0], Shop):
        return found
    shop, lang, _ = found
    sign_in.close(runtime().redis, request.cookies.get(COOKIE))
    html, status = _page(shop, lang, None, notice=WORDS[lang]["signed_out"])  # type: ignore[misc]
    response = Response(html, status, mimetype="text/html")
    response.delete_cookie(COOKIE, path=f"/rewards/{shop.handle}")
    return response


@bp.get("/rewards/<shop_id>/colours.css")
def colours(shop_id: int) -> ResponseReturnValue:
    """The shop's colour for the page's stylesheet."""
    shop = shop_for(shop_id)
    colour = programme_of(shop).colour if shop else "#0f766e"
    response = Response(f":root {{ --sadakat-brand: {colour}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
