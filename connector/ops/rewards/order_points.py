"""What one order earns, as a customer's own pages ask: what one of their orders earned (the account page),
and what an order on the thank-you page earns, by the settling rule (``orders.earning``) before it settles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Shop
from connector.programme import programme_of
from connector.settle import orders

EARNED, PENDING, REVERSED, ESTIMATED = "earned", "pending", "reversed", "estimated"


@dataclass(frozen=True)
class OrderPoints:
    """An order's points and where they stand (``earned``, ``pending``, ``reversed`` or ``estimated``);
    ``points`` is None while the store hasn't told Sadakat of the order."""

    points: int | None
    status: str


def of_member(storage: Storage, shop_id: int, member_id: int | None, order_id: str) -> OrderPoints | None:
    """What one of a member's orders earned, net of what was taken back; ``pending`` (0) for an order the
    store hasn't told of yet; None for an order that is someone else's."""
    with storage.session(read_only=True) as session:
        order = session.scalars(
            select(OrderRecord).where(OrderRecord.shop_id == shop_id, OrderRecord.order_id == order_id)
        ).first()
        if order is None:
            return OrderPoints(0, PENDING)  # not here yet: it earns once the store says it's paid
        if member_id is None or order.customer_id != member_id:
            return None
        net = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.shop_id == shop_id, LedgerEntry.source_type == "order", LedgerEntry.source_id == order_id
            )
        )
    if order.cancelled or order.fully_refunded:
        return OrderPoints(int(net or 0), REVERSED)
    return OrderPoints(int(net or 0), EARNED if order.paid else PENDING)


def on_thank_you_page(storage: Storage, shop: Shop, customer_key: str | None, order_id: str) -> OrderPoints | None:
    """What the order earns (or earned), the buyer's tier multiplier included; None when the order is another
    signed-in customer's."""
    with storage.session(read_only=True) as session:
        order = session.scalars(
            select(OrderRecord).where(OrderRecord.shop_id == shop.id, OrderRecord.order_id == order_id)
        ).first()
        buyer = session.get(CustomerRecord, order.customer_id) if order and order.customer_id else None
    if order is None or order.merchandise_amount is None:
        return OrderPoints(None, PENDING)
    if buyer is not None and buyer.platform_id and buyer.platform_id != customer_key:
        return None
    if order.points_earned is not None:
        return OrderPoints(order.points_earned, ESTIMATED)
    programme = programme_of(shop)
    tier = buyer.tier if buyer is not None else None
    earned = orders.earning(programme, order.merchandise_amount, order.shipping_amount, order.tax_amount, tier)
    return OrderPoints(earned.points, ESTIMATED)
