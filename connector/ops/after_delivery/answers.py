"""What a customer does from an e-mail's link, without signing in: open a survey, answer it (through settle's
front door: its points and, for a detractor, a care item), add a comment, and unsubscribe. Each link carries
a signed token for exactly what it does; a link that isn't valid is ``BadLink``, in the shop's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import signed
from connector.db.after_delivery import SurveyRecord
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Shop
from connector.errors import NotFound
from connector.outbox import senders
from connector.outbox.letters import unsubscribe_token
from connector.programme import programme_of
from connector.settle import door
from connector.settle.after_delivery import surveys


class BadLink(NotFound):
    """The link is not valid (unknown, or its token doesn't match); ``locale`` is the shop's, where known."""

    def __init__(self, locale: str = "en") -> None:
        super().__init__("this link is not valid")
        self.locale = locale


@dataclass(frozen=True)
class SurveyView:
    """A survey as its page shows it: the shop, its language, the answer so far, and what this visit did."""

    survey_id: int
    shop: str
    locale: str
    score: int | None
    comment: str | None
    counted: bool = False
    """This visit's answer was the one that counted."""
    points: int = 0
    """What the counted answer earned and still holds."""
    comment_token: str = ""
    pushes: list[tuple[int, int]] = field(default_factory=list)
    member_locale: str | None = None
    """The language the store knows the order's customer in, where it said."""


def opened(storage: Storage, survey_id: int, score: int, given: str | None) -> SurveyView:
    """A survey opened at ``score`` from its e-mail (nothing is recorded)."""
    with storage.session(read_only=True) as session:
        survey, shop = _found(session, survey_id)
        _check(shop, survey.id, score, given)
        if score not in surveys.SCORES:
            raise BadLink(programme_of(shop).locale)
        return _view(shop, survey, member_locale=_member_locale(session, shop, survey))


def answer(storage: Storage, survey_id: int, score: int, given: str | None, comment: str) -> SurveyView:
    """Record ``score`` (the first answer of an order counts) with the comment, through the front door."""
    with storage.session() as session:
        survey, shop = _found(session, survey_id, lock=True)
        _check(shop, survey.id, score, given)
        try:
            outcome = door.settle(
                session, door.Step(shop, lambda s, shop: door.Applied(surveys.answer(s, shop, survey, score)))
            )
        except surveys.SurveyError:
            raise BadLink(programme_of(shop).locale) from None
        counted = outcome.result
        if counted:
            surveys.comment(session, shop, survey, comment)
        points = surveys.points_earned(session, shop, survey) if counted else 0
        return _view(shop, survey, counted, points, outcome.pushes, _member_locale(session, shop, survey))


def add_comment(storage: Storage, survey_id: int, given: str | None, comment: str) -> SurveyView:
    """Keep the customer's comment on their answer."""
    with storage.session() as session:
        survey, shop = _found(session, survey_id, lock=True)
        _check(shop, survey.id, "comment", given)
        surveys.comment(session, shop, survey, comment)
        return _view(shop, survey, member_locale=_member_locale(session, shop, survey))


@dataclass(frozen=True)
class Unsubscribing:
    """An unsubscribe link's shop and language, and whether the address is now unsubscribed."""

    shop: str
    locale: str
    done: bool


def unsubscribe(storage: Storage, shop_id: int, email: str, given: str, *, confirmed: bool) -> Unsubscribing:
    """Check an unsubscribe link and, ``confirmed``, stop the shop's marketing e-mail to ``email``."""
    email = email.strip().lower()
    with storage.session() as session:
        shop = session.get(Shop, shop_id)  # 0 for a handle no shop has
        locale = programme_of(shop).locale if shop else "en"
        secret = shop.code_secret if shop else None
        if shop is None or not email or not secret:
            raise BadLink(locale)
        if not signed.same(unsubscribe_token(secret, email), given, signed.HEX):
            raise BadLink(locale)
        if confirmed:
            senders.unsubscribe(session, shop.id, email)
        return Unsubscribing(shop.domain, locale, confirmed)


def _found(session: Session, survey_id: int, *, lock: bool = False) -> tuple[SurveyRecord, Shop]:
    survey = session.get(SurveyRecord, survey_id, with_for_update=lock)
    shop = session.get(Shop, survey.shop_id) if survey else None
    if survey is None or shop is None:
        raise BadLink()
    return survey, shop


def _check(shop: Shop, survey_id: int, what: int | str, given: str | None) -> None:
    try:
        surveys.checked(shop, survey_id, what, given)
    except surveys.SurveyError:
        raise BadLink(programme_of(shop).locale) from None


def _member_locale(session: Session, shop: Shop, survey: SurveyRecord) -> str | None:
    return session.scalar(
        select(CustomerRecord.locale)
        .join(OrderRecord, OrderRecord.customer_id == CustomerRecord.id)
        .where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == survey.order_id)
        .limit(1)
    )


def _view(
    shop: Shop,
    survey: SurveyRecord,
    counted: bool = False,
    points: int = 0,
    pushes: door.Pushes | None = None,
    member_locale: str | None = None,
) -> SurveyView:
    comment_token = surveys.token(shop, survey.id, "comment")
    locale = programme_of(shop).locale
    return SurveyView(
        survey.id, shop.domain, locale, survey.score, survey.comment, counted, points, comment_token, pushes or [],
        member_locale,
    )  # fmt: skip
