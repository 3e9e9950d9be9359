"""The words of the pages a store's customers open (survey answers, unsubscribing), in English and Turkish."""

from __future__ import annotations

from flask import request

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "thanks_title": "Thank you",
        "recorded": "You answered {score} out of 10.",
        "already": "Your answer was already recorded: {score} out of 10.",
        "points": "{points} points have been added to your balance.",
        "comment_label": "Anything you'd like to tell us? (optional)",
        "send": "Send",
        "comment_thanks": "Thank you, we read every comment.",
        "invalid_title": "This link doesn't work",
        "invalid": "This link is not valid. Please use the link in your e-mail.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_question": "Stop e-mails like this from {shop} to {email}?",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed": "Done: {email} will get no more of these e-mails from {shop}.",
    },
    "tr": {
        "thanks_title": "Teşekkürler",
        "recorded": "Yanıtınız: 10 üzerinden {score}.",
        "already": "Yanıtınız zaten kaydedilmişti: 10 üzerinden {score}.",
        "points": "Bakiyenize {points} puan eklendi.",
        "comment_label": "Bize iletmek istediğiniz bir şey var mı? (isteğe bağlı)",
        "send": "Gönder",
        "comment_thanks": "Teşekkürler, her yorumu okuyoruz.",
        "invalid_title": "Bu bağlantı çalışmıyor",
        "invalid": "Bu bağlantı geçerli değil. Lütfen e-postanızdaki bağlantıyı kullanın.",
        "unsubscribe_title": "Abonelikten çık",
        "unsubscribe_question": "{shop} mağazasının {email} adresine gönderdiği bu tür e-postalar durdurulsun mu?",
        "unsubscribe_button": "Abonelikten çık",
        "unsubscribed": "Tamam: {email} adresine {shop} mağazasından bu tür e-postalar artık gönderilmeyecek.",
    },
}


def language(shop_locale: str) -> str:
    """The page's language: ``?lang=`` if the visitor chose one, else the shop's."""
    chosen = request.args.get("lang")
    return chosen if chosen in WORDS else (shop_locale if shop_locale in WORDS else "en")


def words(lang: str) -> dict[str, str]:
    """The words of ``lang``."""
    return WORDS[lang]
