"""What customers are told about their parcels and codes, in the store's language (English and Turkish)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from connector.outbox.letters import day_words, money_words

TRACKING = {
    "en": {
        "label_created": "Your order {order} is packed and its shipping label is ready.",
        "in_transit": "Your order {order} is on its way.",
        "out_for_delivery": "Your order {order} is out for delivery today.",
        "available_for_pickup": "Your order {order} is waiting for you at the pickup point.",
        "attempted_delivery": "The carrier tried to deliver your order {order} but couldn't. They will try again, "
        "or you can arrange delivery with them.",
        "delayed": "Your order {order} is delayed. We're sorry, and we're keeping an eye on it.",
        "failure": "There is a problem delivering your order {order}. We're on it and will be in touch.",
        "delivered": "Your order {order} has been delivered. Enjoy!",
        "returned": "Your order {order} is on its way back to us. We'll be in touch about what happens next.",
        "details": "Your order {order} has shipped with {carrier}. Tracking number: {number}.",
        "link": "Track it here: {url}",
        "where": "Last seen: {location}.",
        "eta": "Expected: {eta}.",
    },
    "tr": {
        "label_created": "{order} numaralı siparişiniz paketlendi, kargo etiketi hazır.",
        "in_transit": "{order} numaralı siparişiniz yola çıktı.",
        "out_for_delivery": "{order} numaralı siparişiniz bugün dağıtımda.",
        "available_for_pickup": "{order} numaralı siparişiniz teslim noktasında sizi bekliyor.",
        "attempted_delivery": "Kargo firması {order} numaralı siparişinizi teslim etmeyi denedi ancak teslim "
        "edemedi. Yeniden deneyecek; dilerseniz teslimatı kargo firmasıyla da ayarlayabilirsiniz.",
        "delayed": "{order} numaralı siparişiniz gecikiyor. Özür dileriz, yakından takip ediyoruz.",
        "failure": "{order} numaralı siparişinizin teslimatında bir sorun oluştu. İlgileniyoruz, size en kısa "
        "sürede dönüş yapacağız.",
        "delivered": "{order} numaralı siparişiniz teslim edildi. Güle güle kullanın!",
        "returned": "{order} numaralı siparişiniz bize geri dönüyor. Sonraki adımlar için sizinle iletişime geçeceğiz.",
        "details": "{order} numaralı siparişiniz {carrier} ile kargoya verildi. Takip numarası: {number}.",
        "link": "Takip bağlantısı: {url}",
        "where": "Son konum: {location}.",
        "eta": "Tahmini teslim: {eta}.",
    },
}


def tracking_message(
    locale: str,
    status: str | None,
    *,
    order: str,
    carrier: str | None,
    number: str | None,
    url: str | None,
    location: str | None = None,
    eta: str | None = None,
) -> str:
    """The note for a status (or, with ``status`` None, for new tracking details), in ``locale``."""
    texts = TRACKING.get(locale, TRACKING["en"])
    parts = [texts[status or "details"].format(order=order, carrier=carrier or "-", number=number or "-")]
    if location:
        parts.append(texts["where"].format(location=location))
    if eta:
        parts.append(texts["eta"].format(eta=eta))
    if url:
        parts.append(texts["link"].format(url=url))
    return " ".join(parts)


CODES = {
    "en": {
        "subject": "A code for you",
        "gift": "A gift from {shop}: use the code {code} for {worth}.",
        "redemption": "Your points are now the code {code}, worth {worth} at {shop}.",
        "goodwill": "{shop} sends you a code: use {code} for {worth}.",
        "welcome": "Your welcome gift from {shop}: use the code {code} for {worth} on your first order.",
        "until": "It is yours to use once, until {date}.",
        "free_shipping": "free shipping",
        "percent": "{value}% off",
        "amount": "{value} off",
    },
    "tr": {
        "subject": "Size özel bir kod",
        "gift": "{shop} size bir hediye gönderdi: {code} koduyla {worth}.",
        "redemption": "Puanlarınız artık {shop} için {worth} değerinde bir kod: {code}.",
        "goodwill": "{shop} size bir kod gönderdi: {code} koduyla {worth}.",
        "welcome": "{shop} hoş geldin hediyeniz: ilk siparişinizde {code} koduyla {worth}.",
        "until": "Kodu {date} tarihine kadar bir kez kullanabilirsiniz.",
        "free_shipping": "ücretsiz kargo",
        "percent": "%{value} indirim",
        "amount": "{value} indirim",
    },
}


def code_message(
    locale: str,
    *,
    shop: str,
    code: str,
    kind: str,
    value: str,
    until: str | None,
    why: str,
    currency: str | None = None,
) -> str:
    """The note or e-mail that hands a customer their code, in ``locale``: what it is worth in the shop's
    money and the last day it works, as people write them."""
    texts = CODES.get(locale, CODES["en"])
    if kind == "free_shipping":
        worth = texts["free_shipping"]
    elif kind == "percentage":
        worth = texts["percent"].format(value=value.rstrip("0").rstrip(".") if "." in value else value)
    else:
        try:
            worth = money_words(Decimal(value), currency, locale)
        except InvalidOperation:
            worth = value
        if why != "redemption":  # "worth 5.00 USD" for points spent; "for 10.00 USD off" for a gift
            worth = texts["amount"].format(value=worth)
    parts = [texts[why if why in texts else "gift"].format(shop=shop, code=code, worth=worth)]
    if until:
        parts.append(texts["until"].format(date=last_day(until, locale)))
    return " ".join(parts)


def last_day(ends_at: str, locale: str) -> str:
    """The last day a code that ends at ``ends_at`` (ISO 8601, exclusive) works, in words."""
    try:
        ends = datetime.fromisoformat(ends_at)
    except ValueError:
        return ends_at[:10]
    return day_words((ends - timedelta(seconds=1)).date(), locale)
