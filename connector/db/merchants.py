"""The merchant's side of a shop: the people who may act on it and their roles, the API tokens its owner made,
the e-mailed sign-in links, what every person and token changed (the audit trail, and each change of the
programme's settings with the settings before and after), and what the programme tells the merchant's other
tools: its events, and where they go (URLs signed as Standard Webhooks, Klaviyo, Shopify Flow); and the files
of members it brought over from another loyalty app (imports)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.columns import Base, UTCDateTime, utcnow
from connector.db.crypto import EncryptedText


class ProgrammeChange(Base):
    """One saved change of a shop's programme settings."""

    __tablename__ = "programme_changes"
    __table_args__ = (Index("ix_programme_changes_shop", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    by: Mapped[str] = mapped_column(String(120))
    """Who: the admin pages (and from which address), the admin API, or the command line."""
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopPerson(Base):
    """Someone who may act on a shop, by e-mail address, with a role (``owner``, ``manager``, ``support``)."""

    __tablename__ = "shop_people"
    __table_args__ = (UniqueConstraint("shop_id", "email", name="uq_shop_people_shop_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A shop's API token: it reaches only that shop, and only what its role may do. Kept as a hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("shop_id", "name", name="uq_api_tokens_shop_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInLink(Base):
    """An e-mailed link to sign in to the admin pages: single use, short-lived, kept as a hash."""

    __tablename__ = "admin_sign_in_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One change a person or token made to a shop: who, when, from where, what, before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_shop", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(64))
    """Where from: the address of the request, or ``command line``."""
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeEvent(Base):
    """Something that happened in the programme (``points.earned``, ``tier.changed``, ...), recorded once per
    key, with what the merchant's tools are told about it."""

    __tablename__ = "programme_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_programme_events_shop_key"),
        Index("ix_programme_events_shop", "shop_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventDestination(Base):
    """Where a shop's events go: a URL it subscribed (``webhook``, signed with ``secret``), its Klaviyo account
    (``klaviyo``, with its private API key as ``secret``) or Shopify Flow (``flow``, with the triggers the
    shop's workflows use in ``events``)."""

    __tablename__ = "event_destinations"
    __table_args__ = (Index("ix_event_destinations_shop", "shop_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    """The event types sent there; none means every type."""
    secret: Mapped[str | None] = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(Base):
    """A file of members from another loyalty app, uploaded in the admin: checked (a dry run) or imported by a
    worker, with how far it is and, once done, its report."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_shop", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    stored: Mapped[str] = mapped_column(String(64))
    """The upload's name under the data directory's ``imports/<shop id>/``."""
    size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8))
    tier_until: Mapped[date | None] = mapped_column(Date)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    """``queued``, ``running``, ``done`` or ``failed`` (the file couldn't be read: ``error`` says why)."""
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
