"""What customers are told about their parcels and codes, in the store's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from connector.language import formats
from connector.language.catalogs import N_, Words

TRACKING = Words(
    "customer",
    {
        "label_created": N_("Your order {order} is packed and its shipping label is ready."),
        "in_transit": N_("Your order {order} is on its way."),
        "out_for_delivery": N_("Your order {order} is out for delivery today."),
        "available_for_pickup": N_("Your order {order} is waiting for you at the pickup point."),
        "attempted_delivery": N_(
            "The carrier tried to deliver your order {order} but couldn't. They will try again, "
            "or you can arrange delivery with them."
        ),
        "delayed": N_("Your order {order} is delayed. We're sorry, and we're keeping an eye on it."),
        "failure": N_("There is a problem delivering your order {order}. We're on it and will be in touch."),
        "delivered": N_("Your order {order} has been delivered. Enjoy!"),
        "returned": N_("Your order {order} is on its way back to us. We'll be in touch about what happens next."),
        "details": N_("Your order {order} has shipped with {carrier}. Tracking number: {number}."),
        "link": N_("Track it here: {url}"),
        "where": N_("Last seen: {location}."),
        "eta": N_("Expected: {eta}."),
    },
)


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


CODES = Words(
    "customer",
    {
        "subject": N_("A code for you"),
        "gift": N_("A gift from {shop}: use the code {code} for {worth}."),
        "redemption": N_("Your points are now the code {code}, worth {worth} at {shop}."),
        "goodwill": N_("{shop} sends you a code: use {code} for {worth}."),
        "welcome": N_("Your welcome gift from {shop}: use the code {code} for {worth} on your first order."),
        "until": N_("It is yours to use once, until {date}."),
        "free_shipping": N_("free shipping"),
        "amount": N_("{value} off"),
    },
)


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
        worth = texts["amount"].format(value=formats.share(Decimal(value), locale))
    else:
        try:
            worth = formats.money(Decimal(value), currency, locale)
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
    return formats.day((ends - timedelta(seconds=1)).date(), locale)
