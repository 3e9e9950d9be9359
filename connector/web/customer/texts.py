"""The words of the pages a store's customers open (survey answers, unsubscribing), in English and Turkish."""

from __future__ import annotations

from flask import request

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "thanks_title": "Thank you",
        "confirm_title": "Your answer",
        "confirm": "You chose {score} out of 10. Send it to count it.",
        "confirm_button": "Send my answer",
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
        "ref_title": "A gift from a friend",
        "ref_offer_amount": "Your friend invites you to {shop}: {value} off your first order.",
        "ref_offer_percentage": "Your friend invites you to {shop}: {value}% off your first order.",
        "ref_offer_free_shipping": "Your friend invites you to {shop}: free shipping on your first order.",
        "ref_email": "Your e-mail address",
        "ref_get": "Get my code",
        "ref_inbox_title": "Check your inbox",
        "ref_check_inbox": "If this address can have the welcome gift, its code is on its way there by e-mail. "
        "The gift is for new customers only.",
        "ref_refused_off": "This shop's referral programme is off right now.",
        "ref_bad_email": "Please give a valid e-mail address.",
        "ref_expired": "This form has expired. Please try again.",
    },
    "tr": {
        "thanks_title": "Teşekkürler",
        "confirm_title": "Yanıtınız",
        "confirm": "10 üzerinden {score} seçtiniz. Sayılması için gönderin.",
        "confirm_button": "Yanıtımı gönder",
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
        "ref_title": "Bir arkadaşınızdan hediye",
        "ref_offer_amount": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde {value} indirim.",
        "ref_offer_percentage": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde %{value} indirim.",
        "ref_offer_free_shipping": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde ücretsiz kargo.",
        "ref_email": "E-posta adresiniz",
        "ref_get": "Kodumu al",
        "ref_inbox_title": "Gelen kutunuza bakın",
        "ref_check_inbox": "Bu adres hoş geldin hediyesini alabiliyorsa kodu e-postayla yola çıktı. "
        "Hediye yalnızca yeni müşteriler içindir.",
        "ref_refused_off": "Bu mağazanın arkadaş davet programı şu anda kapalı.",
        "ref_bad_email": "Lütfen geçerli bir e-posta adresi girin.",
        "ref_expired": "Formun süresi dolmuş. Lütfen yeniden deneyin.",
    },
}


def language(shop_locale: str) -> str:
    """The page's language: ``?lang=`` if the visitor chose one, else the shop's."""
    chosen = request.args.get("lang")
    return chosen if chosen in WORDS else (shop_locale if shop_locale in WORDS else "en")


def words(lang: str) -> dict[str, str]:
    """The words of ``lang``."""
    return WORDS[lang]
