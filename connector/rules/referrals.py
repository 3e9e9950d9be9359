"""Telling people apart for referrals: an e-mail address as compared (case, Gmail-style dots and +tags
aside), and whether a friend's order was really the referrer's own."""

from __future__ import annotations

DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_key(email: str) -> str:
    """``J.Doe+promo@GMail.com`` → ``jdoe@gmail.com``: the same inbox, however it is written."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def own_order(
    order_customer_id: int | None,
    order_email: str | None,
    order_shipping: str | None,
    referrer_id: int,
    referrer_email: str | None,
    referrer_shipping: set[str],
) -> bool:
    """Whether the friend's order was placed by the referrer: the same customer, the same inbox, or a
    shipping address the referrer ships to."""
    if order_customer_id is not None and order_customer_id == referrer_id:
        return True
    if order_email and referrer_email and email_key(order_email) == email_key(referrer_email):
        return True
    return order_shipping is not None and order_shipping in referrer_shipping
