"""Settling a drain batch's plain paid orders together: a few set-wise statements for all of them instead of
about twenty per order.

Only events certain to end exactly as they would one at a time (``orders.apply_event``) are taken: a paid,
live order of a customer account, whose order, member and e-mail no other event of the batch touches, whose
order has no points, refund or cancellation yet, whose e-mail has no guest points to join, in a shop without
order gift rules. The rest are left to the per-event path. The rules are the per-event path's own
(``orders.merge_order``, ``orders.earn``, ``tiers.recompute``); only the reads and writes are grouped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from connector.db.tables import CustomerRecord, OrderRecord, RefundRecord, Shop, utcnow
from connector.model import Order, StoreEvent
from connector.outbox import pushes
from connector.programme import ProgrammeSettings, programme_of
from connector.settle import gifts, ledger, orders, tiers
from connector.settle import members as member_records


@dataclass(frozen=True)
class Parsed:
    """A pending event of the batch, read through its shop's adapter."""

    event_id: int
    shop: Shop
    event: StoreEvent


@dataclass
class Settled:
    """The events settled together, and the pushes (push id, shop id) they asked for."""

    events: list[int] = field(default_factory=list)
    pushes: list[tuple[int, int]] = field(default_factory=list)


def settle_together(session: Session, batch: list[Parsed]) -> Settled:
    """Apply the plain paid orders of ``batch`` together, locking their order rows as the per-event path
    does; returns which events were applied. The caller marks them processed."""
    settled = Settled()
    if any(item.event.lifecycle is not None for item in batch):
        return settled  # an erasure or uninstall must keep its place among the events
    touches = Counter(key for item in batch for key in _touches(item))
    by_shop: dict[int, list[Plain]] = {}
    for item in batch:
        order = item.event.order
        if order is not None and _plain_paid_order(item.event) and all(touches[k] == 1 for k in _touches(item)):
            by_shop.setdefault(item.shop.id, []).append(Plain(item.event_id, item.shop, order))
    for group in by_shop.values():
        programme = programme_of(group[0].shop)
        if not any(rule.rule in gifts.ORDER_RULES for rule in programme.gifts):
            _settle_shop(session, group[0].shop, programme, group, touches, settled)
    return settled


@dataclass(frozen=True)
class Plain:
    """An event that is one plain paid order."""

    event_id: int
    shop: Shop
    order: Order


def _plain_paid_order(event: StoreEvent) -> bool:
    order = event.order
    return (
        order is not None
        and order.paid
        and not order.cancelled
        and not order.fully_refunded
        and order.customer.id is not None
        and not order.discount_codes  # a code may be a referral's welcome code: settled one by one
        and not (event.refunds or event.shipments or event.shipment_statuses or event.order_gone or event.customers)
    )


def _touches(item: Parsed) -> set[tuple[int, str, str]]:
    event, shop_id = item.event, item.shop.id
    order_ids = [r.order_id for r in event.refunds] + [s.order_id for s in event.shipments]
    order_ids += [s.order_id for s in event.shipment_statuses]
    order_ids += [o.id for o in (event.order,) if o] + [g.order_id for g in (event.order_gone,) if g]
    customers = [*event.customers, *((event.order.customer,) if event.order else ())]
    return (
        {(shop_id, "order", order_id) for order_id in order_ids}
        | {(shop_id, "member", c.key) for c in customers if c.key}
        | {(shop_id, "email", c.email) for c in customers if c.email}
    )


ORDER_COLUMNS = (
    "name",
    "currency",
    "total",
    "test",
    "discount_codes",
    "shipping_key",
    "placed_at",
    "merchandise_amount",
    "shipping_amount",
    "tax_amount",
    "customer_id",
    "paid",
    "cancelled",
    "fully_refunded",
    "points_earned",
    "earn_rate",
    "updated_at",
)


def _settle_shop(
    session: Session,
    shop: Shop,
    programme: ProgrammeSettings,
    group: list[Plain],
    touches: Counter[tuple[int, str, str]],
    settled: Settled,
) -> None:
    conn = session.connection()
    dialect = conn.dialect.name
    members = _members(conn, dialect, shop.id, group)
    group = _without_guest_points(conn, shop.id, group, members, touches)
    if not group:
        return
    rows = _locked_orders(conn, dialect, shop.id, group)
    group = [item for item in group if _unsettled(rows[item.order.id])]
    if not group:
        return
    entries = []
    for item in group:
        member, row = members[item.order.customer.key], rows[item.order.id]  # type: ignore[index]
        orders.merge_order(row, item.order, member.id)
        row.updated_at = utcnow()
        entry = orders.earn(programme, row, tiers.tier_multiplier(programme, member.tier), item.event_id)
        if entry.points > 0:
            entries.append((member.id, entry))
        member.changed = member_records.merge_member(member, item.order.customer)
    touched = [members[item.order.customer.key] for item in group]  # type: ignore[index]
    _write(conn, [rows[item.order.id] for item in group], OrderRecord, ORDER_COLUMNS)
    _write(conn, [member for member in touched if member.changed], CustomerRecord, member_records.MEMBER_FIELDS)
    gained = ledger.append_many(session, shop.id, entries)
    for member in touched:
        changed = bool(gained.get(member.id))
        if programme.tiers or member.tier is not None:
            record = session.get(CustomerRecord, member.id, populate_existing=True)
            assert record is not None
            letters: list[int] = []
            changed = tiers.recompute(session, shop, record, "order", letters) or changed
            settled.pushes += [(push_id, shop.id) for push_id in letters]
        if changed and programme.sync_customers:
            record = session.get(CustomerRecord, member.id)
            assert record is not None
            if push_id := pushes.request_customer_sync(session, shop, record):
                settled.pushes.append((push_id, shop.id))
    settled.events += [item.event_id for item in group]


def _members(conn: Any, dialect: str, shop_id: int, group: list[Plain]) -> dict[str | None, SimpleNamespace]:
    customers = [item.order.customer for item in group]
    conn.execute(
        member_records.insert_customer_once(dialect),
        [{"shop_id": shop_id, "key": c.key, "platform_id": c.id, "email": c.email, "points": 0} for c in customers],
    )
    table = CustomerRecord.__table__
    found = conn.execute(
        select(table.c.id, table.c.key, table.c.tier, *(table.c[name] for name in member_records.MEMBER_FIELDS)).where(
            table.c.shop_id == shop_id, table.c.key.in_([c.key for c in customers])
        )
    )
    return {row.key: SimpleNamespace(**row._mapping, changed=False) for row in found}


def _without_guest_points(
    conn: Any,
    shop_id: int,
    group: list[Plain],
    members: dict[str | None, SimpleNamespace],
    touches: Counter[tuple[int, str, str]],
) -> list[Plain]:
    # An account joins the guest points under its new e-mail (member_records.merge_guest): left to the per-event path.
    # So is an account whose stored e-mail another event of the batch uses: a guest order under that e-mail
    # goes to the account only if it comes before this order changes the e-mail.
    def email(item: Plain) -> str | None:
        return item.order.customer.email or members[item.order.customer.key].email  # type: ignore[no-any-return]

    table = CustomerRecord.__table__
    guest_keys = [f"email:{e}" for item in group if (e := email(item))]
    guests = set(conn.scalars(select(table.c.key).where(table.c.shop_id == shop_id, table.c.key.in_(guest_keys))))

    def free(item: Plain) -> bool:
        stored, address = members[item.order.customer.key].email, email(item)
        if stored and stored != item.order.customer.email and touches[(shop_id, "email", stored)]:
            return False
        return address is None or f"email:{address}" not in guests

    return [item for item in group if free(item)]


def _locked_orders(conn: Any, dialect: str, shop_id: int, group: list[Plain]) -> dict[str, SimpleNamespace]:
    order_ids = [item.order.id for item in group]
    fresh = {"paid": False, "cancelled": False, "fully_refunded": False, "test": False}
    conn.execute(orders.insert_order_once(dialect), [{"shop_id": shop_id, "order_id": o} | fresh for o in order_ids])
    table = OrderRecord.__table__
    query = select(table).where(table.c.shop_id == shop_id, table.c.order_id.in_(order_ids)).order_by(table.c.id)
    if dialect == "postgresql":
        query = query.with_for_update()  # as orders.locked_order: settles of one order don't interleave
    rows = {row.order_id: SimpleNamespace(**row._mapping, refunded=False) for row in conn.execute(query)}
    refunds = RefundRecord.__table__
    for order_id in conn.scalars(
        select(refunds.c.order_id).where(refunds.c.shop_id == shop_id, refunds.c.order_id.in_(order_ids)).distinct()
    ):
        rows[order_id].refunded = True
    return rows


def _unsettled(row: SimpleNamespace) -> bool:
    return row.points_earned is None and not (row.cancelled or row.fully_refunded or row.refunded)


def _write(conn: Any, rows: list[SimpleNamespace], model: Any, columns: tuple[str, ...]) -> None:
    if not rows:
        return
    table = model.__table__
    conn.execute(
        update(table).where(table.c.id == bindparam("row_id")).values({c: bindparam(f"new_{c}") for c in columns}),
        [{"row_id": row.id} | {f"new_{c}": getattr(row, c) for c in columns} for row in rows],
    )
