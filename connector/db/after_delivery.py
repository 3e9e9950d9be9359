"""The tables of what happens after delivery: each order's survey, addresses that unsubscribed, and the
care queue (what needs a person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.columns import Base, UTCDateTime, utcnow


class SurveyRecord(Base):
    """The after-delivery survey of one order: due once its parcel is delivered, sent at most once."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", name="uq_surveys_shop_order"),
        Index("ix_surveys_status_delivered", "status", "delivered_at"),
    )

    DUE, SENT, SKIPPED, ANSWERED = "due", "sent", "skipped", "answered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=DUE)
    skip_reason: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Unsubscribe(Base):
    """An address that asked for no more marketing e-mail from the shop."""

    __tablename__ = "unsubscribes"
    __table_args__ = (UniqueConstraint("shop_id", "email", name="uq_unsubscribes_shop_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CareItem(Base):
    """Something that needs a person: an unhappy answer, a parcel in trouble, an order that earned nothing."""

    __tablename__ = "care_items"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_care_items_shop_key"),
        Index("ix_care_items_shop_status", "shop_id", "status", "id"),
    )

    OPEN, RESOLVED = "open", "resolved"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """What people and Sadakat did about it: notes, codes sent, resolved (who, when, what)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
