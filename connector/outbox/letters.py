"""The e-mails customers receive, written in the shop's language: a plain-text part and an HTML one from
the same words, the shop's name and the customer's first name, and an unsubscribe link for marketing."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

WORDS = {
    "en": {
        "survey_subject": "How was your order {order} from {shop}?",
        "hello": "Hello {name},",
        "hello_nameless": "Hello,",
        "survey_intro": "Your order {order} has arrived. We'd love to know how it went.",
        "survey_question": "How likely are you to recommend {shop} to a friend?",
        "survey_scale": "0 = not at all likely, 10 = extremely likely. One click is enough.",
        "survey_points": "Answering earns you {points} points.",
        "unsubscribe": "Don't want these e-mails? Unsubscribe",
        "thanks": "Thank you, {shop}",
    },
    "tr": {
        "survey_subject": "{shop} siparişiniz {order} nasıldı?",
        "hello": "Merhaba {name},",
        "hello_nameless": "Merhaba,",
        "survey_intro": "{order} numaralı siparişiniz ulaştı. Nasıl geçtiğini merak ediyoruz.",
        "survey_question": "{shop} mağazasını bir arkadaşınıza önerme olasılığınız nedir?",
        "survey_scale": "0 = hiç olası değil, 10 = kesinlikle öneririm. Tek tıklama yeterli.",
        "survey_points": "Yanıtınız size {points} puan kazandırır.",
        "unsubscribe": "Bu e-postaları istemiyor musunuz? Abonelikten çıkın",
        "thanks": "Teşekkürler, {shop}",
    },
}
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


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


def unsubscribe_token(secret: str, email: str) -> str:
    """What proves an unsubscribe link was made for ``email``."""
    return hmac.new(secret.encode(), f"unsubscribe:{email.lower()}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(public_url: str, shop_id: int, secret: str, email: str) -> str:
    """The link that stops marketing e-mail from the shop to ``email``."""
    return f"{public_url}/unsubscribe/{shop_id}?e={quote(email)}&t={unsubscribe_token(secret, email)}"


def survey(
    *,
    locale: str,
    shop: str,
    order: str,
    first_name: str | None,
    to: str,
    question: str | None,
    points: int,
    links: list[str],
    unsubscribe: str,
) -> Letter:
    """The NPS question with eleven one-click answers, 0 to 10."""
    words = WORDS.get(locale, WORDS["en"])
    values = {
        "hello": words["hello"].format(name=first_name) if first_name else words["hello_nameless"],
        "intro": words["survey_intro"].format(order=order),
        "question": question or words["survey_question"].format(shop=shop),
        "scale": words["survey_scale"],
        "points": words["survey_points"].format(points=points) if points else None,
        "links": list(enumerate(links)),
        "unsubscribe_words": words["unsubscribe"],
        "unsubscribe": unsubscribe,
        "thanks": words["thanks"].format(shop=shop),
        "lang": locale,
        "shop": shop,
    }
    return Letter(
        to=to,
        subject=words["survey_subject"].format(order=order, shop=shop),
        text=_TEMPLATES.get_template("survey.txt").render(values),
        html=_TEMPLATES.get_template("survey.html").render(values),
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
