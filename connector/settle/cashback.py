"""Cashback per tier: a paid order of a member whose tier gives ``cashback_percent`` puts that share of the
order's earning amount on the customer's store credit, once; refunds and a cancellation take back the same
share (keyed by the level they bring it to, so a replay or a reordering asks for nothing new)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from connector.db.order_rows import OrderRow
from connector.db.tables import CustomerRecord, Shop
from connector.outbox import store_credit
from connector.programme import ProgrammeSettings, shop_currency
from connector.rules import points as rules

log = logging.getLogger(__name__)


def on_order(
    session: Session, shop: Shop, programme: ProgrammeSettings, row: OrderRow, tier: str | None, earned_now: bool
) -> list[int]:
    """Ask for the order's cashback (when its points are earned now, at the tier the member had then) or for
    what its refunds take back of it. Returns the pushes asked for."""
    if row.customer_id is None or row.merchandise_amount is None or row.test:
        return []
    credited, debited = store_credit.credited_for_order(session, shop.id, row.order_id)
    customer = None
    asked: list[int] = []
    if credited == 0 and earned_now and not (row.cancelled or row.fully_refunded):
        percent = next((t.cashback_percent for t in programme.tiers if t.name == tier), None)
        if not percent:
            return []
        if not store_credit.ready(shop):
            log.info("shop %s: no cashback for order %s: store credit can't be given yet", shop.id, row.order_id)
            return []
        customer = session.get(CustomerRecord, row.customer_id)
        basis = rules.earning_basis(
            row.merchandise_amount,
            row.shipping_amount if programme.include_shipping else None,
            row.tax_amount if programme.include_tax else None,
        )
        given = store_credit.request(
            session,
            shop,
            customer,
            direction=store_credit.CREDIT,
            reason="cashback",
            key=f"cashback:{row.order_id}",
            amount=rules.cashback(basis, percent),
            currency=shop_currency(shop) or "",
            order_id=row.order_id,
        )
        credited = given.amount
        asked += [given.push_id] if given.push_id else []
    if credited <= 0:
        return asked
    ended = row.cancelled or row.fully_refunded
    kept = rules.cashback_kept(credited, row.merchandise_amount, row.refunded, ended)
    if credited - kept - debited <= 0:
        return asked
    customer = customer or session.get(CustomerRecord, row.customer_id)
    taken = store_credit.request(
        session,
        shop,
        customer,
        direction=store_credit.DEBIT,
        reason="cashback_refund",
        key=f"cashback:{row.order_id}:kept-to:{kept}",
        amount=credited - kept - debited,
        currency=shop_currency(shop) or "",
        order_id=row.order_id,
        after=f"cashback:{row.order_id}",
    )
    return asked + ([taken.push_id] if taken.push_id else [])
