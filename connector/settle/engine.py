"""Settling store events: one engine for a batch, where a single event is a batch of one.

The events go in rounds. No two events of a round touch the same order, member or e-mail address, and an
event comes in a later round than every earlier event that touches one of its own; so each round can be
applied set-wise (a few statements for all its events) and ends exactly as the events one at a time would.
A round records the facts (orders, members, refunds, cancellations) and settles every order it touched
(``orders.settle``), writing them out together; then come the shipments and their parcel news, gifts for
orders earned just now, tiers, referrals and sign-up points. The batch is one change through the front door
(``connector.settle.door``), which syncs each member whose standing moved once, after every round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db import order_rows
from connector.db.customers import MemberRow, member_rows
from connector.db.order_rows import OrderRow
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.model import Customer, StoreEvent
from connector.programme import ProgrammeSettings, programme_of, shop_currency
from connector.rules import currency as currencies
from connector.settle import cashback, door, gifts, ledger, members, orders, tiers, tracking
from connector.settle.after_delivery import care, surveys
from connector.settle.growth import referrals

log = logging.getLogger(__name__)

Key = tuple[str, str]


@dataclass(frozen=True)
class Item:
    """A store event to settle, with its shop (read through the shop's adapter, in the shop's currency)."""

    event_id: int | None
    shop: Shop
    event: StoreEvent


@dataclass(frozen=True)
class Unconvertible:
    """A store event whose amounts can't be put in the shop's currency: it waits in the care queue."""

    reason: str


def item(session: Session, event_id: int, shop: Shop, event: StoreEvent) -> Item | Unconvertible:
    """A parsed store event made ready to settle: its amounts in the shop's currency. Where the shop's currency
    is not known yet, the order tells it (for certain where the platform's amounts are in it by definition,
    else unconfirmed); where an amount can't be converted, a care item is opened."""
    try:
        return Item(event_id, shop, _in_shop_currency(shop, event))
    except currencies.CurrencyUnknown as exc:
        order_id = event.order.id if event.order is not None else None
        care.open_item(session, shop.id, "no_points", f"no_points:{event_id}", order_id=order_id, detail=str(exc))
        return Unconvertible(f"needs attention: {exc}")


def _in_shop_currency(shop: Shop, event: StoreEvent) -> StoreEvent:
    order = event.order
    if order is None:
        return event
    currency = shop_currency(shop)
    if order.in_shop_currency:
        if currency is None or (shop.currency != order.currency and not shop.currency_confirmed):
            shop.currency, shop.currency_confirmed = order.currency, True
        return event
    if currency is None:
        shop.currency, shop.currency_confirmed = order.currency, False
        return event
    return currencies.in_shop_currency(event, currency)


@dataclass(frozen=True)
class StoreEvents:
    """The front door's change for store events: ``items`` in the order they arrived."""

    items: list[Item]

    def apply(self, session: Session) -> door.Applied[None]:
        """Settle the items round by round; the pushes they asked for (codes, parcel news), each once."""
        asked: dict[tuple[int, int], None] = {}
        for round_ in rounds(session, self.items):
            by_shop: dict[int, list[Item]] = {}
            for item in round_:
                by_shop.setdefault(item.shop.id, []).append(item)
            for group in by_shop.values():
                shop = group[0].shop
                for push_id in _settle_round(session, shop, programme_of(shop), group):
                    asked[(push_id, shop.id)] = None
        return door.Applied(None, list(asked))


def settle(session: Session, items: list[Item]) -> list[tuple[int, int]]:
    """Settle store events through the front door. Returns every push asked for, as (push id, shop id)."""
    return door.settle(session, StoreEvents(items)).pushes


def rounds(session: Session, items: list[Item]) -> list[list[Item]]:
    """``items`` in rounds: each goes one round after the last earlier item that shares a key with it."""
    if len(items) < 2:
        return [items] if items else []
    stored = _stored_emails(session, items)
    last: dict[tuple[int, str, str], int] = {}
    placed: list[list[Item]] = []
    for item in items:
        keys = [(item.shop.id, *key) for key in touches(item.event, stored.get(item.shop.id, {}))]
        at = max((last[key] + 1 for key in keys if key in last), default=0)
        for key in keys:
            last[key] = at
        if at == len(placed):
            placed.append([])
        placed[at].append(item)
    return placed


def touches(event: StoreEvent, stored_emails: dict[str, str]) -> set[Key]:
    """What an event reads or changes that another event could too: its orders, its members, and their
    e-mail addresses as given and as stored (a guest's order goes to the account with that address)."""
    order_ids = [r.order_id for r in event.refunds] + [s.order_id for s in event.shipments]
    order_ids += [s.order_id for s in event.shipment_statuses]
    order_ids += [o.id for o in (event.order,) if o] + [g.order_id for g in (event.order_gone,) if g]
    keys: set[Key] = {("order", order_id) for order_id in order_ids}
    for customer in _customers(event):
        if customer.key:
            keys.add(("member", customer.key))
            if customer.key in stored_emails:
                keys.add(("email", stored_emails[customer.key]))
        if customer.email:
            keys.add(("email", customer.email))
    return keys


def _customers(event: StoreEvent) -> list[Customer]:
    return [*((event.order.customer,) if event.order else ()), *event.customers]


def _stored_emails(session: Session, items: list[Item]) -> dict[int, dict[str, str]]:
    # A member's stored address counts where a guest of the batch may be joined to it, or where the event
    # gives none (the stored one is then the address their guest points are joined under).
    guests = {item.shop.id for item in items for c in _customers(item.event) if c.id is None and c.email}
    wanted: dict[int, set[str]] = {}
    for item in items:
        shop_id = item.shop.id
        keys = (c.key for c in _customers(item.event) if c.key and (shop_id in guests or not c.email))
        wanted.setdefault(shop_id, set()).update(keys)
    stored: dict[int, dict[str, str]] = {}
    for shop_id, keys in wanted.items():
        if not keys:
            continue
        rows = session.execute(
            select(CustomerRecord.key, CustomerRecord.email).where(
                CustomerRecord.shop_id == shop_id, CustomerRecord.key.in_(keys), CustomerRecord.email.is_not(None)
            )
        )
        stored[shop_id] = {key: email for key, email in rows}
    return stored


def _settle_round(session: Session, shop: Shop, programme: ProgrammeSettings, items: list[Item]) -> list[int]:
    session.flush()  # what earlier rounds changed through the session, before this one reads plain rows
    with session.no_autoflush:  # the facts and entries go out once, together, before the follow-ups read them
        rows, people, tier_of, settled = _record_and_settle(session, shop, programme, items)
    session.flush()
    asked = list(settled.pushes)
    for event in (item.event for item in items):
        for shipment in event.shipments:
            tracking.record_shipment(session, shop, shipment)
            asked += tracking.apply_tracking(session, shop, shipment.tracking_number)
        for news in event.shipment_statuses:
            tracking.record_shipment_status(session, shop, news)
    for row in settled.newly_earned:
        log.info(
            "points settled: shop %s customer %s order %s earned %s points",
            shop.id, row.customer_id, row.order_id, row.points_earned,
        )  # fmt: skip
        asked += gifts.for_paid_order(session, shop, row)
    _tiers(session, shop, programme, tier_of)
    earned_now = {row.order_id for row in settled.newly_earned}
    for row in rows.values():
        referrals.on_order(session, shop, row)
        surveys.on_order(session, shop, row)
        tier = tier_of.get(row.customer_id or 0)
        asked += cashback.on_order(session, shop, programme, row, tier, row.order_id in earned_now)
    for event in (item.event for item in items):
        for account in event.customers:
            record = people.get(account.key)
            if record is not None:
                members.welcome(session, shop, record)
                ledger.touched(session, shop.id, [record.id])  # the store hears of the account's standing
    return asked


def _record_and_settle(
    session: Session, shop: Shop, programme: ProgrammeSettings, items: list[Item]
) -> tuple[dict[str, OrderRow], dict[str | None, MemberRow | None], dict[int, str | None], orders.Settled]:
    events = [item.event for item in items]
    event_of = {order_id: item.event_id for item in items for order_id in _order_ids(item.event)}
    # Members first: an account that takes over a guest's points takes over the guest's orders too.
    people = members.customer_records(session, shop.id, [c for event in events for c in _customers(event)])
    orders.record_refunds(session, shop.id, [refund for event in events for refund in event.refunds])
    rows = order_rows.lock(session, shop.id, list(event_of))  # with what was refunded of each, this round's too
    for event in events:
        if event.order is not None:
            buyer = people.get(event.order.customer.key)
            orders.merge_order(rows[event.order.id], event.order, buyer.id if buyer is not None else None)
        if event.order_gone is not None:
            rows[event.order_gone.order_id].cancelled = True  # a deleted order counts as cancelled
            rows[event.order_gone.order_id].updated_at = utcnow()
    tier_of = _tier_of(session, shop.id, rows.values(), people)
    settled = orders.settle(session, shop, programme, list(rows.values()), event_of, tier_of)
    order_rows.write(session, list(rows.values()))
    return rows, people, tier_of, settled


def _tier_of(
    session: Session, shop_id: int, rows: Iterable[OrderRow], people: dict[str | None, MemberRow | None]
) -> dict[int, str | None]:
    """The tier of every buyer of the round's orders: the round's own members, and the others read at once."""
    known = {member.id: member.tier for member in people.values() if member is not None}
    others = {row.customer_id for row in rows if row.customer_id is not None} - set(known)
    if others:
        known |= {m.id: m.tier for m in member_rows(session, shop_id, CustomerRecord.id.in_(others))}
    return {row.customer_id: known.get(row.customer_id) for row in rows if row.customer_id is not None}


def _records(session: Session, member_ids: Iterable[int]) -> dict[int, CustomerRecord]:
    """Members as records, read together."""
    wanted = set(member_ids)
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(CustomerRecord).where(CustomerRecord.id.in_(wanted)))}


def _order_ids(event: StoreEvent) -> list[str]:
    ids = [o.id for o in (event.order,) if o] + [r.order_id for r in event.refunds]
    return ids + [g.order_id for g in (event.order_gone,) if g]


def _tiers(session: Session, shop: Shop, programme: ProgrammeSettings, tier_of: dict[int, str | None]) -> None:
    """Put the buyers of the round's orders in the tier their spend earns (one read of their spend)."""
    placed = _records(session, (m for m, tier in tier_of.items() if programme.tiers or tier is not None))
    if not placed:
        return
    spent = tiers.spends(session, shop.id, programme, list(placed))
    for member in placed.values():
        tiers.recompute(session, shop, member, "order", amount=spent.get(member.id, Decimal(0)))
