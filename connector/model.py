"""The platform-neutral domain model every adapter translates into.

Money is ``Decimal`` in the shop's currency; ids from platforms are strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True)
class Customer:
    """A buyer as the store knows them. ``id`` is None for a guest."""

    id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    """The language the store knows them in (a tag such as "fr" or "pt-br"), where it says."""

    @property
    def key(self) -> str | None:
        """The stable key points are held under: the platform id, else ``email:<address>``."""
        if self.id:
            return self.id
        if self.email:
            return f"email:{self.email}"
        return None


LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}")


def language_tag(value: object) -> str | None:
    """A language as a store gives it ("fr", "pt-BR", "en_US") as a lower-case tag ("pt-br"); None if not one."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-").lower()
    return tag if len(tag) <= 16 and LANGUAGE_TAG.fullmatch(tag) else None


NO_YEAR = 1604
"""The year a birthday given without one is kept under (as address books do): its day and month are what count."""

MAX_AMOUNT = Decimal(100_000_000)
"""The largest amount (in the shop's currency) an order, refund or any of their parts may carry. With the
highest earn rate (1,000) and tier multiplier (10) it keeps every ledger entry within 10^12 points."""


class AmountLimitError(ValueError):
    """An order or refund carries an amount past MAX_AMOUNT: it is refused, not settled."""


def _within_limit(what: str, *amounts: Decimal) -> None:
    if any(abs(amount) > MAX_AMOUNT for amount in amounts):
        raise AmountLimitError(f"{what} carries an amount over {MAX_AMOUNT:,}, the most Sadakat accepts")


@dataclass(frozen=True)
class Order:
    """What a webhook says about an order at the moment it was sent."""

    id: str
    name: str
    currency: str
    customer: Customer
    merchandise_amount: Decimal
    """Subtotal of the goods after discounts, without shipping and tax."""
    total: Decimal
    paid: bool
    cancelled: bool = False
    fully_refunded: bool = False
    test: bool = False
    created_at: datetime | None = None
    shipping_amount: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    discount_codes: tuple[str, ...] = ()
    shipping_key: str | None = None
    """The shipping address as a fingerprint (street, postcode, country), to tell one household's orders."""
    """Codes the customer used on the order (upper-cased)."""
    exchange_rate: Decimal | None = None
    """What one unit of the order's currency was worth in the store's own currency when the order was
    placed, as a multi-currency plugin recorded it on the order; None if none did."""
    rate_into: str | None = None
    """The currency ``exchange_rate`` converts into, where the order records it."""
    in_shop_currency: bool = False
    """The amounts are in the shop's own currency by the platform's definition (``currency`` names it)."""

    def __post_init__(self) -> None:
        _within_limit(f"order {self.name}", self.merchandise_amount, self.total, self.shipping_amount, self.tax_amount)


@dataclass(frozen=True)
class Refund:
    """Money returned on an order; only the merchandise part reverses points."""

    id: str
    order_id: str
    merchandise_amount: Decimal
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        _within_limit(f"refund {self.id}", self.merchandise_amount)


@dataclass(frozen=True)
class Shipment:
    """A parcel for an order, with its tracking details."""

    id: str
    order_id: str
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipment_status: str | None = None
    """The carrier status the store reports, as one of the neutral tracking statuses, if any."""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ShipmentStatus:
    """The store's own news about a shipment (e.g. Shopify's fulfillment events)."""

    shipment_id: str
    order_id: str
    status: str
    """One of the neutral tracking statuses (``in_transit``, ``delivered``, ...)."""
    happened_at: datetime | None = None


@dataclass(frozen=True)
class OrderGone:
    """The store deleted the order: treat like a cancellation."""

    order_id: str


@dataclass(frozen=True)
class Lifecycle:
    """The store's word about the app or its data: uninstalled, or a privacy request."""

    kind: str
    """``uninstalled``, ``customer_redact``, ``customer_data_request`` or ``shop_redact``."""
    customer_id: str | None = None
    email: str | None = None
    order_ids: tuple[str, ...] = ()
    request_id: str | None = None


@dataclass(frozen=True)
class StoreEvent:
    """Everything one webhook tells us, in the neutral model."""

    order: Order | None = None
    refunds: tuple[Refund, ...] = field(default_factory=tuple)
    shipments: tuple[Shipment, ...] = field(default_factory=tuple)
    shipment_statuses: tuple[ShipmentStatus, ...] = field(default_factory=tuple)
    order_gone: OrderGone | None = None
    lifecycle: Lifecycle | None = None
    customers: tuple[Customer, ...] = field(default_factory=tuple)
    """Customer accounts the store reports (e.g. a new account), apart from any order."""


# What Sadakat asks of stores (the adapters turn these into their platform's calls).

TRACKING_STATUSES = (
    "label_created",
    "in_transit",
    "out_for_delivery",
    "available_for_pickup",
    "attempted_delivery",
    "delayed",
    "failure",
    "delivered",
    "returned",
)


def tracking_key(number: str) -> str:
    """A tracking number as it is matched: without spaces, in capitals (``1z 999 aa1`` → ``1Z999AA1``)."""
    return "".join(number.split()).upper()


@dataclass(frozen=True)
class CarrierUpdate:
    """A carrier's or tracking service's news about one tracking number."""

    tracking_number: str
    status: str
    """One of TRACKING_STATUSES."""
    carrier: str | None = None
    tracking_url: str | None = None
    happened_at: datetime | None = None
    location: str | None = None
    estimated_delivery_at: datetime | None = None
    service: str = "sadakat"
    """The tracking service that sent it (``aftership``, ``easypost``, ...; ``sadakat`` for our own format)."""
    detail: str | None = None
    """The service's own words for the status (its status and sub-status), kept for the shipment's history."""
    test: bool = False
    """Sent from the service's test mode: applied like a live update, and marked as a test."""


DiscountKind = Literal["fixed_amount", "percentage", "free_shipping"]


@dataclass(frozen=True)
class DiscountCode:
    """A single-use code for one customer (or, for a guest, one e-mail address)."""

    code: str
    kind: DiscountKind
    value: Decimal
    """Money off in the shop's currency, or a percentage 0-100; ignored for free shipping."""
    title: str
    customer_id: str | None = None
    email: str | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class StoreCredit:
    """Money put on (or taken off) a customer's native store credit account, in the shop's currency."""

    customer_id: str
    amount: Decimal
    """Exact, in the currency's minor units; always positive (a debit says so by its kind of push)."""
    currency: str
    key: str
    """Unique per shop and movement: a store that honours it moves the money once however often asked."""
    expires_at: datetime | None = None
    notify: bool = True


@dataclass(frozen=True)
class TrackingPush:
    """News about a shipment for the store (and so its customer)."""

    order_id: str
    shipment_id: str
    tracking_number: str | None
    carrier: str | None
    tracking_url: str | None
    status: str | None
    """One of TRACKING_STATUSES, or None when only the tracking details changed."""
    message: str
    """What to tell the customer, already in the store's language."""
    details_changed: bool = False
    happened_at: datetime | None = None
    location: str | None = None
    estimated_delivery_at: datetime | None = None


@dataclass(frozen=True)
class CustomerSync:
    """A member's standing, to be written into the store's customer record."""

    customer_id: str
    points: int
    tier: str | None = None
    previous_tier: str | None = None
