"""The e-mails customers receive, all in one layout: written in the reader's language, in the shop's colour,
greeting the customer by first name, with a plain-text part and an HTML one from the same words, a link
to the rewards page, and for marketing an unsubscribe link (and ``List-Unsubscribe``)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from connector.language import formats
from connector.language.catalogs import N_, NP_, Words, text_direction

WORDS = Words(
    "customer",
    {
        "hello": N_("Hello {name},"),
        "hello_nameless": N_("Hello,"),
        "thanks": N_("Thank you, {shop}"),
        "rewards": N_("Your points and rewards"),
        "unsubscribe": N_("Don't want these e-mails? Unsubscribe"),
        "survey_subject": N_("How was your order {order} from {shop}?"),
        "survey_intro": N_("Your order {order} has arrived. We'd love to know how it went."),
        "survey_question": N_("How likely are you to recommend {shop} to a friend?"),
        "survey_scale": N_("0 = not at all likely, 10 = extremely likely. One click is enough."),
        "survey_points": NP_("Answering earns you {points} point.", "Answering earns you {points} points."),
        "sign_in_subject": N_("Your sign-in link for {shop} rewards"),
        "sign_in": N_("Here is your link to see your points and rewards at {shop}. It works once, for 15 minutes."),
        "sign_in_button": N_("See my rewards"),
        "sign_in_ignore": N_("If you didn't ask for it, you can ignore this e-mail: nothing happens without the link."),
        "code_subject": N_("A code for you from {shop}"),
        "gift_subject": N_("A gift for you from {shop}"),
        "code_use": N_("Enter it at checkout."),
        "expiry_subject": NP_(
            "Your {points} point at {shop} expires soon", "Your {points} points at {shop} expire soon"
        ),
        "expiry": NP_(
            "Your {points} point at {shop} expires on {date}. Use it, or earn more with an order, to keep it.",
            "Your {points} points at {shop} expire on {date}. Use them, or earn more with an order, to keep them.",
        ),
        "expiry_button": N_("Use my points"),
        "tier_subject": N_("Welcome to {tier} at {shop}"),
        "tier": N_("You have reached {tier}. From now on:"),
        "tier_multiplier": N_("every order earns {multiplier} times the points"),
        "tier_free_shipping": N_("free shipping once a month"),
        "tier_button": N_("See my rewards"),
        "grace_subject": N_("Keep your {tier} tier at {shop}"),
        "grace": N_(
            "You keep {tier} until {date}. Spend {amount} more by then and it is yours again; otherwise "
            "you move to {lower}."
        ),
        "grace_end": N_("You keep {tier} until {date}. Spend {amount} more by then and it is yours again."),
        "grace_points": N_(
            "You keep {tier} until {date}. Earn {amount} more points by then and it is yours again; "
            "otherwise you move to {lower}."
        ),
        "grace_points_end": N_(
            "You keep {tier} until {date}. Earn {amount} more points by then and it is yours again."
        ),
        "credit_subject": N_("{amount} added to your store credit at {shop}"),
        "credit": N_(
            "{amount} is now in your store credit at {shop}. Sign in when you check out and it comes off your order."
        ),
        "credit_refused_subject": N_("Your points are back at {shop}"),
        "credit_refused": NP_(
            "We couldn't add your store credit, so your {points} point is back in your balance. "
            "You can redeem it again.",
            "We couldn't add your store credit, so your {points} points are back in your balance. "
            "You can redeem them again.",
        ),
    },
)
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)
_TEMPLATES.globals["direction"] = text_direction


@dataclass(frozen=True)
class Letter:
    """An e-mail ready for the outbox."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]

    def payload(self) -> dict[str, object]:
        """The outbox ``email`` push's payload."""
        return {"to": self.to, "subject": self.subject, "body": self.text, "html": self.html, "headers": self.headers}


@dataclass(frozen=True)
class Sender:
    """Whose letter it is: the shop's name, language and colour, and where its links lead."""

    shop: str
    locale: str
    colour: str
    rewards_url: str
    unsubscribe_url: str | None = None
    """Given for marketing letters only."""
    from_header: str | None = None
    """``"<shop name>" <address>``: the shop, not Sadakat, writes to its customers."""
    reply_to: str | None = None

    @property
    def words(self) -> dict[str, str]:
        """The words of the shop's language."""
        return WORDS.get(self.locale, WORDS["en"])


def unsubscribe_token(secret: str, email: str) -> str:
    """What proves an unsubscribe link was made for ``email``."""
    return hmac.new(secret.encode(), f"unsubscribe:{email.lower()}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(public_url: str, handle: str, secret: str, email: str) -> str:
    """The link that stops marketing e-mail from the shop to ``email``."""
    return f"{public_url}/unsubscribe/{handle}?e={quote(email)}&t={unsubscribe_token(secret, email)}"


def rewards_url(public_url: str, handle: str) -> str:
    """The shop's hosted rewards page (shops are named by their handle in every customer-facing link)."""
    return f"{public_url}/rewards/{handle}"


def _letter(sender: Sender, to: str, first_name: str | None, subject: str, **values: Any) -> Letter:
    words = sender.words
    values = {
        "lang": sender.locale,
        "shop": sender.shop,
        "colour": sender.colour,
        "subject": subject,
        "hello": words["hello"].format(name=first_name) if first_name else words["hello_nameless"],
        "lines": [],
        "thanks": words["thanks"].format(shop=sender.shop),
        "rewards_words": words["rewards"],
        "rewards_url": sender.rewards_url,
        "unsubscribe_words": words["unsubscribe"],
        "unsubscribe": sender.unsubscribe_url,
    } | values
    headers = {}
    if sender.from_header:
        headers["From"] = sender.from_header
    if sender.reply_to:
        headers["Reply-To"] = sender.reply_to
    if sender.unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{sender.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return Letter(
        to=to,
        subject=subject,
        text=_TEMPLATES.get_template("letter.txt").render(values),
        html=_TEMPLATES.get_template("letter.html").render(values),
        headers=headers,
    )


def survey(
    sender: Sender, *, to: str, first_name: str | None, order: str, question: str | None, points: int, links: list[str]
) -> Letter:
    """The NPS question with eleven one-click answers, 0 to 10."""
    words = sender.words
    return _letter(
        sender,
        to,
        first_name,
        words["survey_subject"].format(order=order, shop=sender.shop),
        lines=[words["survey_intro"].format(order=order)],
        question=question or words["survey_question"].format(shop=sender.shop),
        scale=words["survey_scale"],
        links=list(enumerate(links)),
        after=words["survey_points"].format(points=points) if points else None,
    )


def sign_in(sender: Sender, *, to: str, first_name: str | None, link: str) -> Letter:
    """The single-use link that opens the rewards page."""
    words = sender.words
    return _letter(
        sender,
        to,
        first_name,
        words["sign_in_subject"].format(shop=sender.shop),
        lines=[words["sign_in"].format(shop=sender.shop)],
        button=(words["sign_in_button"], link),
        after=words["sign_in_ignore"],
    )


def code(sender: Sender, *, to: str, first_name: str | None, code: str, message: str, gift: bool) -> Letter:
    """A discount code (a gift, or points redeemed), with the sentence that says what it is worth."""
    words = sender.words
    subject = words["gift_subject" if gift else "code_subject"].format(shop=sender.shop)
    return _letter(sender, to, first_name, subject, lines=[message], code=code, after=words["code_use"])


def store_credit(
    sender: Sender, *, to: str, first_name: str | None, amount: str, points: int | None, added: bool
) -> Letter:
    """Store credit added for points redeemed, or refused by the store with the points given back."""
    words = sender.words
    if added:
        subject = words["credit_subject"].format(amount=amount, shop=sender.shop)
        line = words["credit"].format(amount=amount, shop=sender.shop)
    else:
        subject = words["credit_refused_subject"].format(shop=sender.shop)
        line = words["credit_refused"].format(points=formats.number(points or 0, sender.locale))
    return _letter(sender, to, first_name, subject, lines=[line], button=(words["rewards"], sender.rewards_url))


def expiry_warning(sender: Sender, *, to: str, first_name: str | None, points: int, on: str) -> Letter:
    """Points about to expire, and the way to keep them."""
    words = sender.words
    return _letter(
        sender,
        to,
        first_name,
        words["expiry_subject"].format(points=formats.number(points, sender.locale), shop=sender.shop),
        lines=[words["expiry"].format(points=formats.number(points, sender.locale), shop=sender.shop, date=on)],
        button=(words["expiry_button"], sender.rewards_url),
    )


def tier_reached(
    sender: Sender, *, to: str, first_name: str | None, tier: str, multiplier: str, free_shipping: bool
) -> Letter:
    """A member moved up to a tier, and what it gives them."""
    words = sender.words
    perks = [words["tier_multiplier"].format(multiplier=multiplier)] if multiplier not in ("1", "1.0") else []
    if free_shipping:
        perks.append(words["tier_free_shipping"])
    lines = [words["tier"].format(tier=tier)] + [f"• {perk}" for perk in perks]
    return _letter(
        sender,
        to,
        first_name,
        words["tier_subject"].format(tier=tier, shop=sender.shop),
        lines=lines,
        button=(words["tier_button"], sender.rewards_url),
    )


def tier_grace(sender: Sender, *, to: str, first_name: str | None, tier: str, until: str, amount: str,
               lower: str | None, points: bool = False) -> Letter:  # fmt: skip
    """A member's spend (or points earned) no longer reaches their tier: they keep it until a day, and what
    keeps it theirs."""
    words = sender.words
    key = ("grace_points" if points else "grace") + ("" if lower else "_end")
    line = words[key].format(tier=tier, date=until, amount=amount, lower=lower)
    return _letter(sender, to, first_name, words["grace_subject"].format(tier=tier, shop=sender.shop), lines=[line],
                   button=(words["tier_button"], sender.rewards_url))  # fmt: skip
