"""What a store's customer opens from an e-mail: a survey answer (one click records it, then an optional
comment) and unsubscribing. No login: each link carries a signed token for exactly what it does."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from connector import signed
from connector.db.after_delivery import SurveyRecord
from connector.db.tables import Shop
from connector.outbox import senders
from connector.outbox.letters import unsubscribe_token
from connector.programme import programme_of
from connector.settle.after_delivery import surveys
from connector.web.customer.shop_links import read_shop_names
from connector.web.customer.texts import language, words
from connector.web.runtime import runtime

bp = Blueprint("surveys", __name__)
read_shop_names(bp)
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MAX_ID = 2**31 - 1


@bp.after_request
def _policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response


def _page(lang: str, status: int = 200, **values: object) -> ResponseReturnValue:
    return render_template("customer.html", lang=lang, w=words(lang), **values), status


def _invalid(lang: str = "en") -> ResponseReturnValue:
    w = words(lang)
    return _page(lang, 404, title=w["invalid_title"], message=w["invalid"])


@bp.get("/surveys/<row_id:survey_id>/<int:score>")
def answer(survey_id: int, score: int) -> ResponseReturnValue:
    """The score chosen in the e-mail, with one button to send it (and the comment box). Nothing is recorded
    on this GET, so a mail scanner that opens every link answers nothing."""
    with runtime().storage.session(read_only=True) as session:
        survey = session.get(SurveyRecord, survey_id) if 0 < survey_id <= MAX_ID else None
        shop = session.get(Shop, survey.shop_id) if survey else None
        if survey is None or shop is None:
            return _invalid(language("en"))
        lang = language(programme_of(shop).locale)
        given = request.args.get("t")
        try:
            surveys.checked(shop, survey.id, score, given)
            if score not in surveys.SCORES:
                raise surveys.SurveyError("the score must be a whole number from 0 to 10")
        except surveys.SurveyError:
            return _invalid(lang)
        w = words(lang)
        if survey.score is not None:
            return _answered(session, shop, survey, lang, counted=False)
        query = f"?lang={lang}" if request.args.get("lang") else ""
        return _page(
            lang,
            title=w["confirm_title"],
            shop=shop.domain,
            message=w["confirm"].format(score=score),
            comment_url=f"/surveys/{survey.id}/{score}{query}",
            comment_token=given,
            confirm=True,
        )


@bp.post("/surveys/<row_id:survey_id>/<int:score>")
def confirm(survey_id: int, score: int) -> ResponseReturnValue:
    """Record the score (the first answer of an order counts), with the comment if one was written."""
    with runtime().storage.session() as session:
        survey = session.get(SurveyRecord, survey_id, with_for_update=True) if 0 < survey_id <= MAX_ID else None
        shop = session.get(Shop, survey.shop_id) if survey else None
        if survey is None or shop is None:
            return _invalid(language("en"))
        lang = language(programme_of(shop).locale)
        try:
            surveys.checked(shop, survey.id, score, request.form.get("t"))
            counted = surveys.answer(session, shop, survey, score)
            if counted:
                surveys.comment(session, shop, survey, request.form.get("comment") or "")
        except surveys.SurveyError:
            return _invalid(lang)
        return _answered(session, shop, survey, lang, counted)


def _answered(session: Session, shop: Shop, survey: SurveyRecord, lang: str, counted: bool) -> ResponseReturnValue:
    w = words(lang)
    points = surveys.points_earned(session, shop, survey) if counted else 0
    return _page(
        lang,
        title=w["thanks_title"],
        shop=shop.domain,
        message=w["recorded" if counted else "already"].format(score=survey.score),
        points=w["points"].format(points=points) if points else None,
        comment_url=f"/surveys/{survey.id}/comment" + (f"?lang={lang}" if request.args.get("lang") else ""),
        comment_token=surveys.token(shop, survey.id, "comment"),
        comment=survey.comment,
    )


@bp.post("/surveys/<row_id:survey_id>/comment")
def comment(survey_id: int) -> ResponseReturnValue:
    """Keep the customer's comment on their answer."""
    with runtime().storage.session() as session:
        survey = session.get(SurveyRecord, survey_id, with_for_update=True) if 0 < survey_id <= MAX_ID else None
        shop = session.get(Shop, survey.shop_id) if survey else None
        if survey is None or shop is None:
            return _invalid()
        lang = language(programme_of(shop).locale)
        try:
            surveys.checked(shop, survey.id, "comment", request.form.get("t"))
            surveys.comment(session, shop, survey, request.form.get("comment") or "")
        except surveys.SurveyError:
            return _invalid(lang)
        w = words(lang)
        return _page(lang, title=w["thanks_title"], shop=shop.domain, message=w["comment_thanks"])


@bp.route("/unsubscribe/<shop_id>", methods=["GET", "POST"])
def unsubscribe(shop_id: int) -> ResponseReturnValue:
    """Ask (GET), then stop (POST, also the mail client's one-click) marketing e-mail to an address."""
    email = (request.args.get("e") or "").strip().lower()
    given = request.args.get("t") or ""
    with runtime().storage.session() as session:
        shop = session.get(Shop, shop_id)  # 0 for a handle no shop has
        lang = language(programme_of(shop).locale if shop else "en")
        secret = shop.code_secret if shop else None
        valid = bool(secret) and signed.same(unsubscribe_token(secret or "", email), given, signed.HEX)
        if shop is None or not email or not valid:
            return _invalid(lang)
        w = words(lang)
        if request.method == "GET":
            return _page(
                lang,
                title=w["unsubscribe_title"],
                shop=shop.domain,
                message=w["unsubscribe_question"].format(shop=shop.domain, email=email),
                unsubscribe_url=request.full_path,
                unsubscribe_token=given,
            )
        senders.unsubscribe(session, shop.id, email)
        return _page(
            lang,
            title=w["unsubscribe_title"],
            shop=shop.domain,
            message=w["unsubscribed"].format(shop=shop.domain, email=email),
        )
