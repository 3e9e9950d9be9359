"""Orders, refunds and shipments as we learn of them, and the points they settle to.

Each event only records facts (an order was paid, a refund of X was made, the order was cancelled);
:func:`settle` then derives the points the order should stand at and appends the missing entries.
Because settling depends only on the facts and not on the order events arrived in, a refund before
its payment, a cancellation before anything, or a replay of any of them all end at the same balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.storage import insert_once, upsert_insert
from connector.db.tables import CustomerRecord, OrderRecord, RefundRecord, ShipmentRecord, Shop
from connector.model import Order, OrderGone, Refund, Shipment, ShipmentStatus, StoreEvent, tracking_key
from connector.programme import ProgrammeSettings, programme_of
from connector.rules import points as rules
from connector.rules.tracking import further, is_news
from connector.settle import gifts, ledger, members, spent_points, tiers, tracking
from connector.settle.growth import referrals


@dataclass
class Applied:
    """What applying an event changed: members whose balance moved, and pushes it asked for."""

    customers: list[CustomerRecord] = field(default_factory=list)
    pushes: list[int] = field(default_factory=list)


def apply_event(session: Session, shop: Shop, event: StoreEvent, event_id: int | None = None) -> Applied:
    """Record what ``event`` says and settle the points of every order it touches."""
    applied = Applied()
    touched: list[str] = []
    if event.order is not None:
        record_order(session, shop, event.order)
        touched.append(event.order.id)
    for refund in event.refunds:
        record_refund(session, shop, refund)
        touched.append(refund.order_id)
    changed_accounts = [members.customer_record(session, shop.id, account) for account in event.customers]
    if event.order_gone is not None:
        record_order_gone(session, shop, event.order_gone)
        touched.append(event.order_gone.order_id)
    for shipment in event.shipments:
        record_shipment(session, shop, shipment)
        applied.pushes += tracking.apply_tracking(session, shop, shipment.tracking_number)
    for news in event.shipment_statuses:
        record_shipment_status(session, shop, news)
    changed: dict[int, CustomerRecord] = {}
    for order_id in dict.fromkeys(touched):
        earned_before = _earned(session, shop.id, order_id)
        customer_id, requested = settle(session, shop, order_id, event_id)
        applied.pushes += requested
        order = locked_order(session, shop.id, order_id)
        if not earned_before and _earned(session, shop.id, order_id):
            applied.pushes += gifts.for_paid_order(session, shop, order)
        member = session.get(CustomerRecord, order.customer_id) if order.customer_id else None
        if member is not None and tiers.recompute(session, shop, member, "order", applied.pushes):
            customer_id = member.id
        for moved in [customer_id, *referrals.on_order(session, shop, order)]:
            customer = session.get(CustomerRecord, moved, populate_existing=True) if moved is not None else None
            if customer is not None:
                changed[customer.id] = customer
    for account in changed_accounts:
        if account is not None:
            members.welcome(session, shop, account)
            changed[account.id] = account
    applied.customers = list(changed.values())
    return applied


def _earned(session: Session, shop_id: int, order_id: str) -> bool:
    return locked_order(session, shop_id, order_id).points_earned is not None


LOCKED_ORDERS = "sadakat_locked_orders"


def locked_order(session: Session, shop_id: int, order_id: str) -> OrderRecord:
    """The order's row, created if unseen, locked until the transaction ends so settles don't interleave.

    Read and locked once per transaction: later calls get the same row (``forget_locked_orders`` after a
    savepoint rolls back)."""
    held: dict[tuple[int, str], OrderRecord] = session.info.setdefault(LOCKED_ORDERS, {})
    if (shop_id, order_id) in held:
        return held[(shop_id, order_id)]
    session.execute(
        insert_order_once(session.get_bind().dialect.name),
        {"shop_id": shop_id, "order_id": order_id, "paid": False, "cancelled": False}
        | {"fully_refunded": False, "test": False},
    )
    row = session.scalars(
        select(OrderRecord)
        .where(OrderRecord.shop_id == shop_id, OrderRecord.order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    held[(shop_id, order_id)] = row
    return row


def forget_locked_orders(session: Session) -> None:
    """Drop the rows ``locked_order`` holds: a rolled-back savepoint may have created or changed them."""
    session.info.pop(LOCKED_ORDERS, None)


def insert_order_once(dialect: str) -> Any:
    """INSERT of an order's row that does nothing when the shop has it already."""
    columns = ("shop_id", "order_id", "paid", "cancelled", "fully_refunded", "test")
    return insert_once(dialect, OrderRecord.__table__, columns, ("shop_id", "order_id"))


def record_order(session: Session, shop: Shop, order: Order) -> None:
    """Merge an order's facts. Paid, cancelled and refunded only ever switch on."""
    row = locked_order(session, shop.id, order.id)
    customer = members.customer_record(session, shop.id, order.customer)
    merge_order(row, order, customer.id if customer is not None else None)


def merge_order(row: Any, order: Order, customer_id: int | None) -> None:
    """Fold what ``order`` says into the order's row (an ``OrderRecord`` or the same columns as attributes)."""
    row.name = order.name
    row.currency = order.currency
    row.total = order.total
    row.test = order.test
    row.discount_codes = list(order.discount_codes)
    row.shipping_key = order.shipping_key or row.shipping_key
    if order.created_at is not None:
        row.placed_at = order.created_at
    if row.points_earned is None:  # what was earned stays tied to what was bought then
        row.merchandise_amount = order.merchandise_amount
        row.shipping_amount = order.shipping_amount
        row.tax_amount = order.tax_amount
        if customer_id is not None:
            row.customer_id = customer_id
    row.paid = row.paid or order.paid
    row.cancelled = row.cancelled or order.cancelled
    row.fully_refunded = row.fully_refunded or order.fully_refunded


def record_refund(session: Session, shop: Shop, refund: Refund) -> None:
    """Store a refund once; its order may not be known yet."""
    locked_order(session, shop.id, refund.order_id)
    session.execute(
        upsert_insert(session, RefundRecord)
        .values(
            shop_id=shop.id,
            refund_id=refund.id,
            order_id=refund.order_id,
            merchandise_amount=refund.merchandise_amount,
            refunded_at=refund.created_at,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "refund_id"])
    )


def record_order_gone(session: Session, shop: Shop, gone: OrderGone) -> None:
    """A deleted order counts as cancelled."""
    locked_order(session, shop.id, gone.order_id).cancelled = True


def record_shipment(session: Session, shop: Shop, shipment: Shipment) -> None:
    """Keep a shipment's newest state; an older update arriving late doesn't overwrite a newer one."""
    values = {
        "order_id": shipment.order_id,
        "status": shipment.status,
        "shipment_status": shipment.shipment_status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_key": tracking_key(shipment.tracking_number) if shipment.tracking_number else None,
        "tracking_url": shipment.tracking_url,
        "store_updated_at": shipment.updated_at,
    }
    session.execute(
        upsert_insert(session, ShipmentRecord)
        .values(shop_id=shop.id, shipment_id=shipment.id, **values)
        .on_conflict_do_nothing(index_elements=["shop_id", "shipment_id"])
    )
    row = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.shipment_id == shipment.id)
        .with_for_update()
    ).one()
    newer = shipment.updated_at is None or row.store_updated_at is None or shipment.updated_at >= row.store_updated_at
    if newer:
        for name, value in values.items():
            setattr(row, name, value)
    _store_knows(session, shop, row, shipment.shipment_status, shipment.updated_at)


def record_shipment_status(session: Session, shop: Shop, news: ShipmentStatus) -> None:
    """The store's own news about a shipment we know: it needn't be told, and nothing older should be."""
    row = session.scalars(
        select(ShipmentRecord)
        .where(ShipmentRecord.shop_id == shop.id, ShipmentRecord.shipment_id == news.shipment_id)
        .with_for_update()
    ).first()
    if row is not None:
        if news.status:
            tracking.record_store_news(session, shop, row, news.status, news.happened_at)
        _store_knows(session, shop, row, news.status, news.happened_at)


def _store_knows(
    session: Session, shop: Shop, row: ShipmentRecord, status: str | None, happened_at: datetime | None
) -> None:
    if status and is_news(status, row.tracking_progress):
        row.tracking_status = status
        row.tracking_progress = further(row.tracking_progress, status)
        tracking.follow_up(session, shop, row, status, happened_at, detail=None)


def settle(session: Session, shop: Shop, order_id: str, event_id: int | None = None) -> tuple[int | None, list[int]]:
    """Append whatever entries bring the order's points to what its facts say they should be.
    Returns the member's record id if their balance changed, and the pushes asked for."""
    row = locked_order(session, shop.id, order_id)
    if row.customer_id is None or row.merchandise_amount is None:
        return None, []  # nothing is known about who bought what yet; a later event settles it
    ended = row.cancelled or row.fully_refunded
    programme = programme_of(shop)
    refunded = session.scalar(
        select(func.coalesce(func.sum(RefundRecord.merchandise_amount), 0)).where(
            RefundRecord.shop_id == shop.id, RefundRecord.order_id == order_id
        )
    )
    refunded = Decimal(str(refunded or 0))
    returned_to, requested = spent_points.give_back(session, shop, programme, row, refunded, event_id)
    changed = returned_to == row.customer_id
    if row.points_earned is None:
        if not row.paid or ended:
            return (row.customer_id if changed else None), requested
        member = session.get(CustomerRecord, row.customer_id)
        assert member is not None
        entry = earn(programme, row, tiers.multiplier(shop, member), event_id)
        changed = (entry.points > 0 and ledger.append(session, shop.id, row.customer_id, entry)) or changed
    earned = row.points_earned
    target = earned if ended else rules.points_to_reverse(earned, row.merchandise_amount, refunded)
    reversed_so_far = -ledger.sum_points(
        session, shop.id, source_type="order", source_id=order_id, kinds={"refund", "cancellation"}
    )
    if target > reversed_so_far:
        changed = _append_reversal(session, shop, row, target, reversed_so_far, refunded, event_id) or changed
    return (row.customer_id if changed else None), requested


def earn(programme: ProgrammeSettings, row: Any, multiplier: Decimal, event_id: int | None) -> ledger.NewEntry:
    """The entry a paid order earns at the rate, and the member's tier multiplier, of the moment it is paid;
    sets the row's ``points_earned`` and ``earn_rate``."""
    rate = programme.earn_rate * multiplier
    basis = rules.earning_basis(
        row.merchandise_amount,
        row.shipping_amount if programme.include_shipping else None,
        row.tax_amount if programme.include_tax else None,
    )
    row.points_earned = rules.points_for_purchase(basis, rate)
    row.earn_rate = rate
    return ledger.NewEntry(
        key=f"order:{row.order_id}:earned",
        kind="order",
        points=row.points_earned,
        source_type="order",
        source_id=row.order_id,
        rule=rules.EARN_RULE,
        rate=rate,
        amount=basis,
        event_id=event_id,
    )


def _append_reversal(
    session: Session,
    shop: Shop,
    row: OrderRecord,
    target: int,
    reversed_so_far: int,
    refunded: Decimal,
    event_id: int | None,
) -> bool:
    assert row.customer_id is not None and row.points_earned is not None
    order_id = row.order_id
    ended = row.cancelled or row.fully_refunded
    kind = "cancellation" if row.cancelled else "refund"
    return ledger.append(
        session,
        shop.id,
        row.customer_id,
        ledger.NewEntry(
            # Keyed by the level it brings the reversals to: a replay, or a second worker settling
            # the same facts, computes the same key and appends nothing.
            key=f"order:{order_id}:reversed-to:{target}",
            kind=kind,
            points=-(target - reversed_so_far),
            source_type="order",
            source_id=order_id,
            rule=rules.CANCEL_RULE if ended else rules.REVERSAL_RULE,
            rate=row.earn_rate,
            amount=refunded,
            event_id=event_id,
        ),
    )
