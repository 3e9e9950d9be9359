"""What a store's customer opens from an e-mail: a survey answer (one click records it, then an optional
comment) and unsubscribing. No login: each link carries a signed token for exactly what it does."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from connector.ops.after_delivery import answers
from connector.outbox import pushes
from connector.web.customer.shop_links import read_shop_names
from connector.web.customer.texts import language, words
from connector.web.runtime import runtime

bp = Blueprint("surveys", __name__)
read_shop_names(bp)
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


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
    given = request.args.get("t")
    try:
        view = answers.opened(runtime().storage, survey_id, score, given)
    except answers.BadLink as exc:
        return _invalid(language(exc.locale))
    lang = language(view.locale, view.member_locale)
    if view.score is not None:
        return _answered(view, lang)
    w = words(lang)
    query = f"?lang={lang}" if request.args.get("lang") else ""
    return _page(
        lang,
        title=w["confirm_title"],
        shop=view.shop,
        message=w["confirm"].format(score=score),
        comment_url=f"/surveys/{view.survey_id}/{score}{query}",
        comment_token=given,
        confirm=True,
    )


@bp.post("/surveys/<row_id:survey_id>/<int:score>")
def confirm(survey_id: int, score: int) -> ResponseReturnValue:
    """Record the score (the first answer of an order counts), with the comment if one was written."""
    comment = request.form.get("comment") or ""
    try:
        view = answers.answer(runtime().storage, survey_id, score, request.form.get("t"), comment)
    except answers.BadLink as exc:
        return _invalid(language(exc.locale))
    pushes.dispatch(runtime().storage, runtime().queue, view.pushes)
    return _answered(view, language(view.locale, view.member_locale))


def _answered(view: answers.SurveyView, lang: str) -> ResponseReturnValue:
    w = words(lang)
    return _page(
        lang,
        title=w["thanks_title"],
        shop=view.shop,
        message=w["recorded" if view.counted else "already"].format(score=view.score),
        points=w["points"].format(points=view.points) if view.points else None,
        comment_url=f"/surveys/{view.survey_id}/comment" + (f"?lang={lang}" if request.args.get("lang") else ""),
        comment_token=view.comment_token,
        comment=view.comment,
    )


@bp.post("/surveys/<row_id:survey_id>/comment")
def comment(survey_id: int) -> ResponseReturnValue:
    """Keep the customer's comment on their answer."""
    try:
        view = answers.add_comment(
            runtime().storage, survey_id, request.form.get("t"), request.form.get("comment") or ""
        )
    except answers.BadLink as exc:
        return _invalid(language(exc.locale))
    lang = language(view.locale, view.member_locale)
    w = words(lang)
    return _page(lang, title=w["thanks_title"], shop=view.shop, message=w["comment_thanks"])


@bp.route("/unsubscribe/<shop_id>", methods=["GET", "POST"])
def unsubscribe(shop_id: int) -> ResponseReturnValue:
    """Ask (GET), then stop (POST, also the mail client's one-click) marketing e-mail to an address."""
    email = (request.args.get("e") or "").strip().lower()
    given = request.args.get("t") or ""
    confirmed = request.method == "POST"
    try:
        done = answers.unsubscribe(runtime().storage, shop_id, email, given, confirmed=confirmed)
    except answers.BadLink as exc:
        return _invalid(language(exc.locale))
    lang = language(done.locale)
    w = words(lang)
    if not done.done:
        return _page(
            lang,
            title=w["unsubscribe_title"],
            shop=done.shop,
            message=w["unsubscribe_question"].format(shop=done.shop, email=email),
            unsubscribe_url=request.full_path,
            unsubscribe_token=given,
        )
    return _page(
        lang,
        title=w["unsubscribe_title"],
        shop=done.shop,
        message=w["unsubscribed"].format(shop=done.shop, email=email),
    )
