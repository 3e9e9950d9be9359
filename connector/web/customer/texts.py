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
        "ref_title": "A gift from a friend",
        "ref_offer_amount": "Your friend invites you to {shop}: {value} off your first order.",
        "ref_offer_percentage": "Your friend invites you to {shop}: {value}% off your first order.",
        "ref_offer_free_shipping": "Your friend invites you to {shop}: free shipping on your first order.",
        "ref_email": "Your e-mail address",
        "ref_get": "Get my code",
        "ref_code_title": "Your welcome code",
        "ref_code": "Use this code at checkout (once). We have e-mailed it to you too.",
        "ref_copy": "Copy",
        "ref_copied": "Copied",
        "ref_refused_off": "This shop's referral programme is off right now.",
        "ref_refused_self": "You can't use your own referral link.",
        "ref_refused_customer": "This e-mail address already shops with us, so the welcome gift is for new customers.",
        "ref_refused_taken": "Someone else already invited this e-mail address.",
        "ref_refused_address_limit": "Too many sign-ups came from your connection this week. Please try again later.",
        "ref_bad_email": "Please give a valid e-mail address.",
        "ref_expired": "This form has expired. Please try again.",
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
        "ref_title": "Bir arkadaşınızdan hediye",
        "ref_offer_amount": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde {value} indirim.",
        "ref_offer_percentage": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde %{value} indirim.",
        "ref_offer_free_shipping": "Arkadaşınız sizi {shop} mağazasına davet ediyor: ilk siparişinizde ücretsiz kargo.",
        "ref_email": "E-posta adresiniz",
        "ref_get": "Kodumu al",
        "ref_code_title": "Hoş geldin kodunuz",
        "ref_code": "Bu kodu ödeme sırasında (bir kez) kullanın. Kodu size e-postayla da gönderdik.",
        "ref_copy": "Kopyala",
        "ref_copied": "Kopyalandı",
        "ref_refused_off": "Bu mağazanın arkadaş davet programı şu anda kapalı.",
        "ref_refused_self": "Kendi davet bağlantınızı kullanamazsınız.",
        "ref_refused_customer": "Bu e-posta adresi zaten bizden alışveriş yapıyor; hoş geldin hediyesi yeni "
        "müşteriler için.",
        "ref_refused_taken": "Bu e-posta adresini başka biri zaten davet etti.",
        "ref_refused_address_limit": "Bu hafta bağlantınızdan çok fazla kayıt geldi. Lütfen daha sonra yeniden "
        "deneyin.",
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
