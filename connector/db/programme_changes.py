"""Every change to a shop's programme: who made it, when, and the settings before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.columns import Base, UTCDateTime, utcnow


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
