"""The database tables, as SQLAlchemy 2 mapped classes."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.db.columns import Base, Money, UTCDateTime, utcnow
from connector.db.crypto import EncryptedText, EncryptedValues
from connector.rules.referrals import email_key


def public_handle() -> str:
    """A shop's handle for customer-facing links: 12 random URL-safe characters."""
    return secrets.token_urlsafe(9)


def email_key_default(context: Any) -> str | None:
    """A new member's ``email_key``, from the e-mail they are inserted with."""
    email = context.get_current_parameters().get("email")
    return email_key(email) if email else None


class Shop(Base):
    """A store that installed Sadakat."""

    __tablename__ = "shops"
    __table_args__ = (
        UniqueConstraint("platform", "domain", name="uq_shops_platform_domain"),
        Index("uq_shops_handle", "handle", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(32), nullable=True, default=public_handle)
    """How customer-facing links name the shop: random, so they can't be counted through."""
    answers_at_id: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A shop created before handles: links sent with its number still answer (by redirect)."""
    platform: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(255))
    base_url: Mapped[str] = mapped_column(String(512))
    credentials: Mapped[dict[str, str]] = mapped_column(EncryptedValues, default=dict)
    """The store's API credentials, named as its adapter names them (``StoreAdapter.credentials``)."""
    credentials_expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    previous_webhook_secret: Mapped[str | None] = mapped_column(EncryptedText)
    carrier_secret: Mapped[str | None] = mapped_column(EncryptedText)
    code_secret: Mapped[str | None] = mapped_column(EncryptedText)
    customer_api_key: Mapped[str | None] = mapped_column(EncryptedText)
    """What the store's own site sends (as a bearer token) to read balances and redeem for its customers."""
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    currency: Mapped[str | None] = mapped_column(String(8))
    """The store's own currency: as the store reports it, else taken from its first order (unconfirmed)."""
    currency_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    segmented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When customers' RFM segments were last rolled up."""
    support_adjustment_limit: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The most points a ``support`` person may add or take in one adjustment (the owner sets it; 0: none)."""
    rollup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What that roll-up counted: active members, buyers, repeat buyers, codes issued and used; and what a
    large shop's figures read from it instead of counting on every view: customers per tier, the ledger's
    sums and its points per day."""


class WebhookEvent(Base):
    """The inbox: every signed webhook, committed before it is acknowledged."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "delivery_id", name="uq_webhook_events_delivery"),
        Index("ix_webhook_events_status_received", "status", "received_at"),
        Index("ix_webhook_events_shop_received", "shop_id", "received_at"),
    )

    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    UNMATCHED = "unmatched"  # parcel news for a tracking number no shipment of the shop has (yet)
    DISCARDED = "discarded"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(128))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shop: Mapped[Shop] = relationship()


NAME_ORDER = ("last_name", "first_name")
"""The customer list's order by name: by these columns, without case, the missing ones first (indexed)."""


class CustomerRecord(Base):
    """A member of a shop's programme, with their cached balance."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_customers_shop_key"),
        Index("ix_customers_shop_email", "shop_id", "email"),
        Index("ix_customers_shop_email_key", "shop_id", "email_key"),
        Index("ix_customers_shop_platform_id", "shop_id", "platform_id"),
        Index("ix_customers_shop_segment", "shop_id", "segment"),
        Index("ix_customers_shop_tier_points", "shop_id", "tier", "platform_id", "points"),
        Index("ix_customers_shop_name", "shop_id", *(text(f"lower(coalesce({c}, ''))") for c in NAME_ORDER), "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(400))
    platform_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    email_key: Mapped[str | None] = mapped_column(String(320), default=email_key_default)
    """The inbox the e-mail reaches, as people are told apart (``rules.referrals.email_key``)."""
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    """The language of their store account or latest order (``model.language_tag``), where the store said."""
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    tier: Mapped[str | None] = mapped_column(String(40))
    birthday: Mapped[date | None] = mapped_column(Date)
    store_tier: Mapped[str | None] = mapped_column(String(40))
    tier_kept_until: Mapped[date | None] = mapped_column(Date)
    """The tier last written into the store's customer record (to move its tag from)."""
    segment: Mapped[str | None] = mapped_column(String(16))
    """The RFM segment the latest roll-up found (``Shop.segmented_at``); None before it, or with no order."""
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the customer's latest paid order was placed, as of that roll-up."""
    orders_count: Mapped[int | None] = mapped_column(Integer)
    """Their paid orders not cancelled, as of that roll-up."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierChange(Base):
    """A member moving between tiers, and why."""

    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    from_tier: Mapped[str | None] = mapped_column(String(40))
    to_tier: Mapped[str | None] = mapped_column(String(40))
    spend: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderRecord(Base):
    """What we know of an order, gathered from every event about it, in any order."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", name="uq_orders_shop_order"),
        Index("ix_orders_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    currency: Mapped[str | None] = mapped_column(String(8))
    merchandise_amount: Mapped[Decimal | None] = mapped_column(Money)
    shipping_amount: Mapped[Decimal | None] = mapped_column(Money)
    tax_amount: Mapped[Decimal | None] = mapped_column(Money)
    total: Mapped[Decimal | None] = mapped_column(Money)
    discount_codes: Mapped[list[str] | None] = mapped_column(JSON)
    shipping_key: Mapped[str | None] = mapped_column(String(32))
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    fully_refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    points_earned: Mapped[int | None] = mapped_column(BigInteger)
    earn_rate: Mapped[Decimal | None] = mapped_column(Money)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IssuedCode(Base):
    """A single-use code Sadakat asked a store to create for a customer, and what it cost them, if anything."""

    __tablename__ = "issued_codes"
    __table_args__ = (UniqueConstraint("shop_id", "code", name="uq_issued_codes_shop_code"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(255))
    """The reason key the code was derived from (``redeem:…``, ``gift:…``)."""
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal] = mapped_column(Money)
    points_paid: Mapped[int | None] = mapped_column(BigInteger)
    """Points the customer spent on it (a redemption); None for a gift."""
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefundRecord(Base):
    """A refund on an order; may arrive before the order itself."""

    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("shop_id", "refund_id", name="uq_refunds_shop_refund"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    refund_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    merchandise_amount: Mapped[Decimal] = mapped_column(Money)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ShipmentRecord(Base):
    """A shipment's latest known tracking state."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("shop_id", "shipment_id", name="uq_shipments_shop_shipment"),
        Index("ix_shipments_tracking_number", "shop_id", "tracking_number"),
        Index("ix_shipments_tracking_key", "shop_id", "tracking_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shipment_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32))
    shipment_status: Mapped[str | None] = mapped_column(String(32))
    carrier: Mapped[str | None] = mapped_column(String(128))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    tracking_key: Mapped[str | None] = mapped_column(String(128))
    """The tracking number as carriers' news is matched to it (``model.tracking_key``)."""
    tracking_url: Mapped[str | None] = mapped_column(Text)
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    store_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tracking_status: Mapped[str | None] = mapped_column(String(32))
    """The latest carrier status we have told the store about."""
    tracking_progress: Mapped[str | None] = mapped_column(String(32))
    """The furthest point on the way (label, in transit, out for delivery, delivered, returned) told so far."""


class LedgerEntry(Base):
    """One append-only change to a customer's points, with the reason and rule behind it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_ledger_entries_shop_key"),
        Index("ix_ledger_entries_customer", "customer_id", "id"),
        Index("ix_ledger_entries_source", "shop_id", "source_type", "source_id"),
        Index("ix_ledger_entries_shop_kind_created", "shop_id", "kind", "created_at"),
        Index("ix_ledger_entries_shop_kind_rule_points", "shop_id", "kind", "rule", "points"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(BigInteger)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    rate: Mapped[Decimal | None] = mapped_column(Money)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(255))
    """Why, in a person's words (an admin's adjustment)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Push(Base):
    """The outbox: one call Sadakat owes a store, with everything needed to make it exactly once."""

    __tablename__ = "pushes"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_pushes_shop_key"),
        Index("ix_pushes_status_updated", "status", "updated_at"),
        Index("ix_pushes_shop_target", "shop_id", "target"),
    )

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    store_object_id: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrackingEvent(Base):
    """A carrier's news about a tracking number; applied to its shipment once that is known."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        Index("ix_tracking_events_number", "shop_id", "tracking_number"),
        Index("ix_tracking_events_key", "shop_id", "tracking_key"),
    )

    WAITS_DAYS = 14
    """News for a tracking number no shipment has is applied if the shipment appears within this many days."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    tracking_number: Mapped[str] = mapped_column(String(128))
    tracking_key: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(32))  # who sent it: aftership, ..., sadakat, shopify
    detail: Mapped[str | None] = mapped_column(String(255))  # the service's own words for the status
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    """The webhook event it came in (to mark that event processed once the news finds its shipment)."""
    carrier: Mapped[str | None] = mapped_column(String(128))
    tracking_url: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CarrierConnection(Base):
    """A tracking service a shop connected: the secret it signs webhooks with, and a URL token for services
    that may send them unsigned."""

    __tablename__ = "carrier_connections"
    __table_args__ = (UniqueConstraint("shop_id", "service", name="uq_carrier_connections_shop_service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str | None] = mapped_column(EncryptedText)
    token: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DataExport(Base):
    """Everything held on one customer, gathered for a privacy data request, for an admin to download."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    customer_ref: Mapped[str] = mapped_column(String(400))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
