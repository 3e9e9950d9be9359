"""A member's referral link, as their friend opens it: ``/r/<code>`` shows the offer and takes the friend's
e-mail address (a form, or JSON for scripts). Every claim gets the same answer, "check your inbox": the
welcome code goes only to that address, so the page tells nobody who is a customer."""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from connector import signed
from connector.language import formats
from connector.ops import Shop, shops
from connector.outbox import pushes
from connector.programme import programme_of, shop_currency
from connector.settle.growth import referrals
from connector.web.customer.rewards_texts import visitor_language
from connector.web.customer.shop_links import read_shop_names
from connector.web.customer.texts import words
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("referrals", __name__)
read_shop_names(bp)
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
FORM_SECONDS = 2 * 3600
SHARE = (
    ("WhatsApp", "https://wa.me/?text={text}%20{url}"),
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("X", "https://x.com/intent/post?text={text}&url={url}"),
)
"""Where a member can share their link from: (name, address with ``{text}`` and ``{url}`` to fill in)."""


def share_places(email_word: str) -> list[tuple[str, str]]:
    """SHARE and e-mail (named in the reader's language)."""
    return [*SHARE, (email_word, "mailto:?subject={text}&body={url}")]


def share_links(referral_url: str, text: str, email_word: str) -> list[tuple[str, str]]:
    """Each place's name and its address with ``text`` and the member's link filled in."""
    return [
        (name, place.replace("{text}", quote(text, safe="")).replace("{url}", quote(referral_url, safe="")))
        for name, place in share_places(email_word)
    ]


@bp.after_request
def _policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _form_token(shop: Shop, code: str, at: int) -> str:
    mac = hmac.new((shop.code_secret or "").encode(), f"referral-form:{code}:{at}".encode(), hashlib.sha256)
    return f"{at}.{mac.hexdigest()[:32]}"


def _form_ok(shop: Shop, code: str, given: str | None) -> bool:
    parts = signed.timed(given)
    return (
        parts is not None
        and 0 <= time.time() - parts[0] < FORM_SECONDS
        and signed.same(_form_token(shop, code, parts[0]), given)
    )


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _page(shop: Shop, code: str, lang: str, status: int = 200, **values: object) -> ResponseReturnValue:
    programme = programme_of(shop)
    settings = programme.referrals
    reward = settings.friend_reward
    w = words(lang)
    value = reward.value
    if reward.kind == "amount":  # money as the reader writes it, with the shop's currency
        value = formats.money(Decimal(reward.value), shop_currency(shop), lang)
    elif reward.kind == "percentage":
        value = formats.share(Decimal(reward.value), lang)
    offer = w["ref_offer_free_shipping" if reward.kind == "free_shipping" else "ref_offer_amount"].format(
        shop=shop.domain, value=value
    )
    html = render_template(
        "referral.html",
        lang=lang,
        w=w,
        shop=shop.domain,
        offer=offer,
        enabled=settings.enabled,
        form_token=_form_token(shop, code, int(time.time())),
        action=f"/r/{shop.handle}/{code}?lang={lang}",
        page=f"/r/{shop.handle}/{code}",
        **values,
    )
    return html, status


@bp.route("/r/<shop_id>/<code>", methods=["GET", "POST"])
def friend(shop_id: int, code: str) -> ResponseReturnValue:
    """The offer (GET); the friend's claim (POST ``email``)."""
    storage = runtime().storage
    with storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        by = referrals.referrer(session, shop.id, code) if shop else None
        if shop is None or by is None or shop.uninstalled_at is not None:
            return problem(404, "this referral link is not valid")
        lang = visitor_language(programme_of(shop).locale)
        if request.method == "GET":
            return _page(shop, code, lang)
        if _wants_json():
            body = request.get_json(silent=True)
            email = body.get("email") if isinstance(body, dict) else None
        else:
            if not _form_ok(shop, code, request.form.get("t")):
                return _page(shop, code, lang, 400, error=words(lang)["ref_expired"])
            email = request.form.get("email")
        try:
            claimed = referrals.claim(session, shop, by, email, request.remote_addr)
        except referrals.ReferralInputError as exc:
            if _wants_json():
                return problem(400, str(exc))
            return _page(shop, code, lang, 400, error=words(lang)["ref_bad_email"], email=email)
    if claimed.push_id is not None:
        pushes.dispatch(storage, runtime().queue, [(claimed.push_id, shop.id)])
    # Accepted, repeated or refused, the answer is the same: only the address's inbox learns which.
    if _wants_json():
        return jsonify(status="check_your_inbox"), 202
    return _page(shop, code, lang, 202, sent=True)
