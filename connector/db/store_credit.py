"""Store credit given and taken back: one row per movement Sadakat asked of the store (a redemption, an
order's cashback, a gift, a refund's share of cashback), with what the store actually moved."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.columns import Base, Money, UTCDateTime, utcnow


class StoreCreditMovement(Base):
    """Money put on a customer's store credit account, or taken off it."""

    __tablename__ = "store_credit_movements"
    __table_args__ = (
        UniqueConstraint("shop_id", "key", name="uq_store_credit_movements_key"),
        Index("ix_store_credit_movements_customer", "shop_id", "customer_id", "id"),
        Index("ix_store_credit_movements_order", "shop_id", "order_id"),
    )

    CREDIT, DEBIT = "credit", "debit"
    PENDING, DONE, REFUSED = "pending", "done", "refused"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(8))
    """``credit`` (given) or ``debit`` (taken back)."""
    reason: Mapped[str] = mapped_column(String(32))
    """``redemption``, ``cashback``, ``cashback_refund`` or ``gift``."""
    order_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    """What was asked, in ``currency``."""
    moved: Mapped[Decimal | None] = mapped_column(Money)
    """What the store moved (a debit is capped by the account's balance then)."""
    shortfall: Mapped[Decimal | None] = mapped_column(Money)
    """What a debit could not take back, the account holding less."""
    currency: Mapped[str] = mapped_column(String(8))
    points: Mapped[int | None] = mapped_column(Integer)
    """Points a redemption spent on it."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    push_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
