"""Shopify's session tokens (the ``Authorization: Bearer <JWT>`` that customer account, checkout and
embedded-admin extensions send): HS256 signed with the app's secret (or the previous one during a rotation),
``aud`` the app's client id, ``dest`` the shop, ``sub`` who is signed in, ``exp``/``nbf`` checked with at
most 10 seconds of leeway. Verified with PyJWT; anything else is refused without saying which check failed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt

from adapters.base import BadToken

LEEWAY_SECONDS = 10
CUSTOMER_GID = "gid://shopify/Customer/"


class BadSessionToken(BadToken):
    """Not a session token of this app for a shop (the reason is for logs, never for the caller)."""


@dataclass(frozen=True)
class SessionToken:
    """Who a verified session token speaks for."""

    domain: str
    """The shop's ``<name>.myshopify.com``."""
    customer_id: str | None
    """The signed-in customer's numeric id, or None (a guest, or a staff member's ``sub``)."""
    subject: str | None


def verify(token: str, secrets: list[str], client_id: str | None) -> SessionToken:
    """The token's shop and customer, or BadSessionToken."""
    if not token or not secrets or not client_id or len(token) > 4096:
        raise BadSessionToken("no token, or the app has no secret or client id")
    claims = None
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=client_id,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "nbf", "dest", "aud"], "verify_iat": False},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise BadSessionToken(str(exc)) from None
    if claims is None:
        raise BadSessionToken("the signature matches none of the app's secrets")
    dest = claims.get("dest")
    host = urlsplit(dest).hostname if isinstance(dest, str) and "://" in dest else dest
    if not isinstance(host, str) or not host.endswith(".myshopify.com"):
        raise BadSessionToken("dest is not a shop")
    sub = claims.get("sub")
    customer = sub.removeprefix(CUSTOMER_GID) if isinstance(sub, str) and sub.startswith(CUSTOMER_GID) else None
    if customer is not None and not customer.isdigit():
        raise BadSessionToken("sub is not a customer id")
    return SessionToken(domain=host.lower(), customer_id=customer, subject=sub if isinstance(sub, str) else None)
