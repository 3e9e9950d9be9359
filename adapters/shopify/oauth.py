"""Shopify's OAuth: the authorize URL, verifying the callback, and expiring offline tokens.

Shopify's escaping rules for the callback HMAC come from the ShopifyAPI package (``Session.calculate_hmac``),
used through a subclass that carries the app's secret, so no process-wide ``Session.setup`` is needed.
The token calls are sent with ``requests`` (the package's ``request_token`` has no timeout and doesn't
ask for an expiring token).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
import shopify

from adapters.base import InstallError, PermanentStoreError, RetryableStoreError, Tokens, retry_after_seconds
from connector import signed

TIMEOUT_SECONDS = 15
MAX_CALLBACK_AGE_SECONDS = 600
REQUIRED = ("code", "hmac", "shop", "state", "timestamp")


def authorize_url(domain: str, api_key: str, scopes: str, redirect_uri: str, state: str) -> str:
    """``https://<shop>/admin/oauth/authorize?client_id=…&scope=…&redirect_uri=…&state=…``."""
    query = urlencode({"client_id": api_key, "scope": scopes, "redirect_uri": redirect_uri, "state": state})
    return f"https://{domain}/admin/oauth/authorize?{query}"


def callback_hmac(params: Mapping[str, str], secret: str) -> str:
    """The hex HMAC-SHA256 Shopify signs the callback's other parameters with."""
    signer: Any = type("AppSession", (shopify.Session,), {"secret": secret})
    return signer.calculate_hmac(dict(params))


def verify_callback(params: Mapping[str, str], secrets: list[str], now: float | None = None) -> None:
    """Check the callback's hmac (with any of the app's secrets) and that it is recent; InstallError says
    which check failed."""
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise InstallError(f"the callback is missing {', '.join(missing)}")
    if not secrets:
        raise InstallError("SHOPIFY_API_SECRET is not configured")
    given = params["hmac"]
    if not any(signed.same(callback_hmac(params, secret), given, signed.HEX) for secret in secrets):
        raise InstallError("the callback's hmac does not match: it was not sent by Shopify, or was changed")
    timestamp = signed.timestamp(params["timestamp"])
    if timestamp is None:
        raise InstallError("the callback's timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - timestamp) > MAX_CALLBACK_AGE_SECONDS:
        raise InstallError("the callback has expired (its timestamp is more than 10 minutes off); install again")


def _token_call(domain: str, body: dict[str, Any]) -> dict[str, Any]:
    url = f"https://{domain}/admin/oauth/access_token"
    try:
        response = requests.post(url, json=body, headers={"Accept": "application/json"}, timeout=TIMEOUT_SECONDS)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise RetryableStoreError(f"Shopify did not answer: {type(exc).__name__}", 5) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableStoreError(
            f"Shopify: HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After"), 5.0)
        )
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code >= 400 or not isinstance(data, dict) or not data.get("access_token"):
        reason = (
            data.get("error_description") or data.get("error") or data.get("errors") if isinstance(data, dict) else None
        )
        raise PermanentStoreError(
            f"Shopify refused the token request ({response.status_code}): {reason or response.text[:200]}"
        )
    return data


def _tokens(data: dict[str, Any], now: datetime) -> Tokens:
    def after(seconds: Any) -> datetime | None:
        return now + timedelta(seconds=int(seconds)) if seconds else None

    return Tokens(
        credentials={"access_token": str(data["access_token"])},
        expires_at=after(data.get("expires_in")),
        refresh_token=data.get("refresh_token"),
        refresh_expires_at=after(data.get("refresh_token_expires_in")),
        scopes=data.get("scope"),
    )


def exchange_code(domain: str, api_key: str, secret: str, code: str) -> Tokens:
    """Trade the callback's code for an expiring offline token (``expiring=1``) and its refresh token."""
    data = _token_call(domain, {"client_id": api_key, "client_secret": secret, "code": code, "expiring": 1})
    return _tokens(data, datetime.now(UTC))


def refresh(domain: str, api_key: str, secret: str, refresh_token: str) -> Tokens:
    """A new access token (and refresh token) for an expiring offline token."""
    body = {
        "client_id": api_key,
        "client_secret": secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    return _tokens(_token_call(domain, body), datetime.now(UTC))


SINGLE_PARAMS = ("logged_in_customer_id", "shop", "timestamp", "path_prefix", "signature")


def proxy_signature(params: Mapping[str, list[str]], secret: str) -> str:
    """An app proxy request's signature: every query parameter but ``signature``, sorted, each as
    ``key=value`` (repeated values joined by commas), concatenated with no separator, hex HMAC-SHA256."""
    message = "".join(f"{key}={','.join(values)}" for key, values in sorted(params.items()) if key != "signature")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_proxy(params: Mapping[str, list[str]], secrets: list[str], now: float | None = None) -> None:
    """Check an app proxy request's signature (with any of the app's secrets) and age; InstallError says why not."""
    # The signed message joins pairs with no separator, so a name holding "=" or "&" could be re-split into
    # other parameters under the same signature; and a repeated identity parameter makes "which one" a guess.
    if any("=" in key or "&" in key for key in params):
        raise InstallError("the request's parameter names are not Shopify's")
    repeated = sorted(key for key in SINGLE_PARAMS if len(params.get(key) or []) > 1)
    if repeated:
        raise InstallError(f"the request repeats {', '.join(repeated)}")
    given = (params.get("signature") or [""])[0]
    if not given or not secrets:
        raise InstallError("the request is not signed by Shopify")
    if not any(signed.same(proxy_signature(params, secret), given, signed.HEX) for secret in secrets):
        raise InstallError("the request's signature does not match")
    timestamp = signed.timestamp((params.get("timestamp") or ["0"])[0])
    if timestamp is None:
        raise InstallError("the request's timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - timestamp) > MAX_CALLBACK_AGE_SECONDS:
        raise InstallError("the request has expired")
