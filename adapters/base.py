"""The one interface every store platform implements, and the typed errors it raises."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

from connector.config import Config
from connector.model import CustomerSync, DiscountCode, StoreEvent, TrackingPush


class StoreError(Exception):
    """A call to a store failed."""


class RetryableStoreError(StoreError):
    """The store is busy or down (429, 5xx, throttled, timeout): try again after ``wait_seconds``.
    ``throttled`` says the store only asked us to slow down (429, GraphQL THROTTLED): nothing failed."""

    def __init__(self, message: str, wait_seconds: float = 1.0, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds
        self.throttled = throttled


class PermanentStoreError(StoreError):
    """The store refused the call (other 4xx, userErrors): retrying won't help."""


class InstallError(ValueError):
    """An install or connect request can't be completed; the message says what failed."""


class PayloadError(ValueError):
    """A webhook body can't be read as the resource its topic promises."""


@dataclass(frozen=True)
class ShopAccess:
    """What an adapter needs to call one store: where it is and the credentials it was registered with."""

    shop_id: int
    domain: str
    base_url: str
    credentials: Mapping[str, str | None]
    currency: str | None = None
    allow_private: bool = False
    """Whether calls may go to private and loopback addresses (development only)."""


@dataclass(frozen=True)
class Tokens:
    """API credentials granted by a store, with when they stop working."""

    credentials: Mapping[str, str]
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    scopes: str | None = None


@dataclass(frozen=True)
class InstallStart:
    """Where to send the merchant to approve the install, and the store it is for."""

    address: ShopAddress
    url: str


@dataclass(frozen=True)
class InstallCallback:
    """A store's verified answer to an install: the state it carries and what to complete it with."""

    state: str
    address: ShopAddress | None
    params: Mapping[str, str]


@dataclass(frozen=True)
class ShopAddress:
    """Where a store lives: ``domain`` identifies it, ``base_url`` is where its API is."""

    domain: str
    base_url: str


@dataclass(frozen=True)
class Envelope:
    """The platform-specific headers of an inbound webhook, read into neutral fields."""

    topic: str | None
    delivery_id: str | None
    signature: str | None
    shop_domain: str | None = None
    is_ping: bool = False


class StoreAdapter(Protocol):
    """Everything Sadakat needs from one store platform."""

    platform: str
    credentials: tuple[str, ...]
    """Names of the API credentials a shop on this platform must be registered with."""
    topics: frozenset[str]
    """Webhook topics this adapter turns into store events; other signed topics are recorded as ignored."""

    def address(self, raw: str) -> ShopAddress:
        """Validate and normalise what a merchant typed as the store's address (ValueError if unusable)."""
        ...

    def webhook_path(self, shop_id: int) -> str:
        """The path on our receiver that this shop's webhooks are delivered to."""
        ...

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Secrets that sign every shop's webhooks on this platform (an app's secret), newest first."""
        ...

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """Read topic, delivery id, signature and shop from an inbound webhook's headers."""
        ...

    def verify(self, body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
        """Whether ``signature`` signs ``body`` with one of ``secrets``."""
        ...

    def names_other_shop(self, payload: Mapping[str, Any], domain: str) -> bool:
        """Whether a signed payload itself names a shop other than ``domain`` (a body signed with an app-wide
        secret, replayed under another shop's header)."""
        ...

    def parse(self, topic: str, payload: dict[str, Any]) -> StoreEvent:
        """Translate a webhook payload into the neutral model (PayloadError if it can't)."""
        ...

    def store_profile(self, shop: ShopAccess) -> tuple[str | None, str | None]:
        """The store's own currency code and its owner's e-mail address, as the store reports them."""
        ...

    def disable_discount_code(self, shop: ShopAccess, store_id: str) -> None:
        """Make a code the store created (its id ``store_id``) unusable."""
        ...

    def find_discount_code(self, shop: ShopAccess, code: str) -> str | None:
        """The store's id for an existing code, or None: lets a retry find what a lost answer created."""
        ...

    def create_discount_code(self, shop: ShopAccess, discount: DiscountCode) -> str:
        """Create the code in the store; returns the store's id for it."""
        ...

    def push_tracking(self, shop: ShopAccess, push: TrackingPush) -> str | None:
        """Tell the store about a shipment's tracking; returns the store's id for what it created, if any."""
        ...

    def sync_customer(self, shop: ShopAccess, sync: CustomerSync) -> None:
        """Write the member's points and tier into the store's customer record."""
        ...

    def deliver_code_note(self, shop: ShopAccess, order_id: str, message: str) -> str | None:
        """Tell the customer about a code on their order, where the store e-mails such notes; else None."""
        ...

    def start_install(self, params: Mapping[str, str], state: str, config: Config) -> InstallStart:
        """Validate what the merchant gave and build the store's approval URL carrying ``state``."""
        ...

    def read_install_callback(self, params: Mapping[str, str], body: bytes, config: Config) -> InstallCallback:
        """Verify the store's callback (InstallError says what failed) and read its state."""
        ...

    def complete_install(self, callback: InstallCallback, address: ShopAddress, config: Config) -> Tokens:
        """Obtain working API credentials for the store (InstallError if they can't be had)."""
        ...

    def after_install_url(self, address: ShopAddress, config: Config) -> str | None:
        """Where the merchant goes once installed; None when the callback wants a plain 200."""
        ...

    def refresh_tokens(self, shop: ShopAccess, refresh_token: str, config: Config) -> Tokens:
        """New credentials before the current ones expire."""
        ...

    def missing_webhooks(self, shop: ShopAccess, webhook_url: str) -> list[str]:
        """Topics the store would not deliver to ``webhook_url`` now (reading only; proves the credentials)."""
        ...

    def register_webhooks(self, shop: ShopAccess, webhook_url: str, secret: str | None) -> list[str]:
        """Subscribe the store's webhooks to ``webhook_url``, idempotently; returns the ids created or fixed."""
        ...

    def past_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders placed since ``since``, as (topic, delivery id, payload) webhooks would carry, for backfill."""
        ...

    def changed_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders modified since ``since``, as (topic, delivery id, payload) a webhook would have carried,
        for stores whose webhooks can silently stop; the delivery id is stable for one version of an order."""
        ...


class BadToken(Exception):
    """A session token that isn't the app's, for a shop, now."""


class StorefrontProxy(Protocol):
    """A platform whose storefront reaches Sadakat through a signed proxy (Shopify's app proxy), and whose
    extensions send session tokens."""

    platform: str

    def storefront_customer(self, params: Mapping[str, list[str]], config: Config) -> tuple[str, str | None]:
        """Verify a proxied request: (shop domain, logged-in customer id or None); InstallError if forged."""
        ...

    def session_customer(self, token: str, config: Config) -> tuple[str, str | None, str | None]:
        """Verify a session token: (shop domain, signed-in customer id or None, ``sub``); BadToken if not."""
        ...


class ModuleAdapter:
    """Plumbing shared by adapters made of a ``webhooks`` module (inbound) and an ``api`` module (calls to
    the store): both platforms sign webhooks with a base64 HMAC-SHA256 of the raw body."""

    webhooks: Any
    api: Any

    def verify(self, body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
        """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` with one of ``secrets``."""
        return hmac_sha256_base64_matches(body, signature, secrets)

    def parse(self, topic: str, payload: dict[str, Any]) -> StoreEvent:
        """The webhook payload in the neutral model."""
        return self.webhooks.parse(topic, payload)

    def store_profile(self, shop: ShopAccess) -> tuple[str | None, str | None]:
        """The store's own currency code and owner's e-mail address."""
        return self.api.store_profile(shop)

    def find_discount_code(self, shop: ShopAccess, code: str) -> str | None:
        """The store's id for an existing code, or None."""
        return self.api.find_discount_code(shop, code)

    def create_discount_code(self, shop: ShopAccess, discount: DiscountCode) -> str:
        """Create the code in the store."""
        return self.api.create_discount_code(shop, discount)

    def disable_discount_code(self, shop: ShopAccess, store_id: str) -> None:
        """Make the code with the store's id ``store_id`` unusable."""
        self.api.disable_discount_code(shop, store_id)

    def push_tracking(self, shop: ShopAccess, push: TrackingPush) -> str | None:
        """Tell the store about a shipment."""
        return self.api.push_tracking(shop, push)

    def sync_customer(self, shop: ShopAccess, sync: CustomerSync) -> None:
        """Write the member's standing into the store."""
        self.api.sync_customer(shop, sync)


def retry_after_seconds(header: str | None, default: float) -> float:
    """Seconds from a ``Retry-After`` header (seconds form), or ``default``."""
    try:
        return max(0.0, float(header)) if header else default
    except ValueError:
        return default


def hmac_sha256_base64_matches(body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
    """Constant-time check of a base64 HMAC-SHA256 signature against each secret in turn."""
    if not signature:
        return False
    given = signature.strip().encode()
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        matched |= hmac.compare_digest(expected, given)
    return matched


MAX_AMOUNT = Decimal("1e15")
"""Amounts at or beyond this can't be real money in any currency, and don't fit our columns."""


def decimal_field(obj: Mapping[str, Any], name: str, default: str | None = None) -> Decimal:
    """``obj[name]`` as a Decimal, or PayloadError naming the field."""
    raw = obj.get(name, default)
    if raw is None or isinstance(raw, bool):
        raise PayloadError(f"{name} is missing or not a number")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise PayloadError(f"{name} is not a number: {raw!r}") from None
    if not value.is_finite():
        raise PayloadError(f"{name} is not a finite number: {raw!r}")
    if abs(value) >= MAX_AMOUNT:
        raise PayloadError(f"{name} is out of range: {raw!r}")
    return value


def id_field(obj: Mapping[str, Any], name: str) -> str:
    """A platform id as a string (ids may exceed 2^53, so never through float)."""
    raw = obj.get(name)
    if raw is None or raw == "" or isinstance(raw, bool | float | dict | list):
        raise PayloadError(f"{name} is missing or not an id")
    text = str(raw)
    if len(text) > 64 or not text.isprintable():
        raise PayloadError(f"{name} is not an id: {text[:80]!r}")
    return text


def time_field(obj: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 timestamp, or None when absent or unreadable."""
    raw = obj.get(name)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def text_field(value: Any, max_length: int) -> str | None:
    """Free text as we store it: control characters removed, cut to ``max_length``; None if not text."""
    if not isinstance(value, str):
        return None
    printable = value if value.isprintable() else "".join(ch for ch in value if ch.isprintable())
    cleaned = printable.strip()
    return cleaned[:max_length] or None


def url_field(value: Any) -> str | None:
    """A web address as we keep it: http(s) only (a ``javascript:`` or ``data:`` link is dropped), or None."""
    text = text_field(value, 2000)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def email_field(value: Any) -> str | None:
    """A lower-cased, trimmed e-mail address, or None."""
    value = text_field(value, 320)
    if value is None:
        return None
    value = value.lower()
    return value if "@" in value else None


def currency_field(value: Any) -> str:
    """An ISO 4217 currency code, or PayloadError."""
    if not isinstance(value, str) or not value.isascii() or not value.isalpha() or not 2 <= len(value) <= 8:
        raise PayloadError(f"currency is missing or not a currency code: {value!r}"[:200])
    return value.upper()


NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
r"""Anything but letters and digits (``str.isalnum``): ``\w`` is those and the underscore."""


def address_key(street: Any, postcode: Any, country: Any) -> str | None:
    """A fingerprint of a shipping address (street, postcode, country; case, spaces and punctuation aside),
    or None without a street."""
    parts = [NOT_ALPHANUMERIC.sub("", v.lower()) if isinstance(v, str) else "" for v in (street, postcode, country)]
    if not parts[0]:
        return None
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def list_field(obj: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """``obj[name]`` as a list of objects (empty when absent), or PayloadError."""
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PayloadError(f"{name} is not a list of objects")
    return value


def codes_field(obj: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """Discount codes used on an order: the ``code`` of each object in ``obj[name]``, upper-cased."""
    codes = []
    for item in list_field(obj, name):
        code = text_field(item.get("code"), 100)
        if code:
            codes.append(code.upper())
    return tuple(codes)
