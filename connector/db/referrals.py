"""The tables of referrals: each member's link, and each friend's claim and what became of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.columns import Base, Money, UTCDateTime, utcnow


class ReferralLink(Base):
    """A member's referral code (the end of their link)."""

    __tablename__ = "referral_links"
    __table_args__ = (
        UniqueConstraint("shop_id", "code", name="uq_referral_links_shop_code"),
        UniqueConstraint("shop_id", "customer_id", name="uq_referral_links_shop_customer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralClaim(Base):
    """A friend's claim of a member's link: refused (and why), or a welcome code that may convert."""

    __tablename__ = "referral_claims"
    __table_args__ = (
        UniqueConstraint("shop_id", "friend_key", name="uq_referral_claims_shop_friend"),
        Index("ix_referral_claims_shop_code", "shop_id", "welcome_code"),
        Index("ix_referral_claims_address", "shop_id", "client_address", "created_at"),
    )

    REFUSED, CLAIMED, HELD, GRANTED, DENIED, REVERSED = "refused", "claimed", "held", "granted", "denied", "reversed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    friend_email: Mapped[str] = mapped_column(String(320))
    friend_key: Mapped[str | None] = mapped_column(String(320))
    """The friend's e-mail as compared (case, dots and +tags aside); None on a refused claim."""
    client_address: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255))
    welcome_code: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64))
    order_total: Mapped[Decimal | None] = mapped_column(Money)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[int | None] = mapped_column(BigInteger)
    """Points granted to the referrer (what a reversal takes back)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
