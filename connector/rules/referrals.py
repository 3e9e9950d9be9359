"""Telling people apart for referrals: an e-mail address as compared (case, Unicode forms, quoting, trailing
dots, Gmail-style dots and +tags aside), and whether a friend's order was really the referrer's own."""

from __future__ import annotations

import unicodedata

DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_key(email: str) -> str:
    """``"J.Doe+promo"@GMail.com.``, in any case or width → ``jdoe@gmail.com``: the same inbox."""
    folded = unicodedata.normalize("NFKC", email).strip().casefold()
    local, _, domain = folded.rpartition("@")
    domain = domain.strip().rstrip(".")
    local = local.strip()
    if len(local) >= 2 and local[0] == local[-1] == '"':
        local = local[1:-1].replace('\\"', '"').replace("\\\\", "\\")
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
