"""The shop page's activity charts: events per hour and points per day, counted by the database; a large
shop's finished days read from its roll-up give the same chart as counting every entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Shop, WebhookEvent
from connector.ops import activity
from connector.ops.customers import segments

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


def _entry(customer: CustomerRecord, n: int, kind: str, points: int, at: datetime) -> LedgerEntry:
    return LedgerEntry(shop_id=customer.shop_id, customer_id=customer.id, key=f"e{n}", kind=kind, points=points,
                       source_type="order", source_id=str(n), rule="r", created_at=at)  # fmt: skip


def test_points_per_day_from_the_roll_up_and_today_match_counting_every_entry(
    storage: Storage, offline_shopify_shop: Shop
) -> None:
    with storage.session() as session:
        member = CustomerRecord(shop_id=offline_shopify_shop.id, key="m", platform_id="m", points=0)
        session.add(member)
        session.flush()
        history = [("order", 40, 0), ("order", 25, 0), ("redemption", -500, 3), ("order", 10, 29), ("order", 7, 95)]
        session.add_all(_entry(member, n, kind, points, NOW - timedelta(days=days))
                        for n, (kind, points, days) in enumerate(history))  # fmt: skip
    with storage.session() as session:
        counted = activity.points_per_day(session, offline_shopify_shop.id, 30, NOW)
    assert counted[0][29] == 65 and counted[1][26] == 500 and counted[0][0] == 10
    segments.roll_up(storage, offline_shopify_shop.id, NOW)
    with storage.session() as session:
        session.add(_entry(session.get(CustomerRecord, member.id), 9, "order", 5, NOW + timedelta(minutes=5)))
    later = NOW + timedelta(minutes=10)
    with storage.session() as session:
        rolled = session.scalars(select(Shop.rollup).where(Shop.id == offline_shopify_shop.id)).one()
        for days in (7, 30, 90):
            from_roll_up = activity.points_per_day(session, offline_shopify_shop.id, days, later, rolled)
            assert from_roll_up == activity.points_per_day(session, offline_shopify_shop.id, days, later), days
    assert from_roll_up[0][-1] == 70 and sum(from_roll_up[0]) == 80  # today's 65 + 5; 95 days ago is outside
    assert "2026-11-22" not in rolled["points_per_day"] and rolled["points_per_day"]["2026-11-19"] == [0, 500]


def test_an_orders_points_fall_on_the_day_it_was_placed_before_and_after_a_roll_up(
    storage: Storage, offline_shopify_shop: Shop
) -> None:
    """Six months of backfilled or simulated orders showed as one spike on the day they were settled."""
    shop_id = offline_shopify_shop.id
    with storage.session() as session:
        member = CustomerRecord(shop_id=shop_id, key="m", platform_id="m", points=0)
        session.add(member)
        session.flush()
        for n, placed_days_ago in ((1, 20), (2, 20), (3, 0)):
            session.add(OrderRecord(shop_id=shop_id, order_id=str(n), placed_at=NOW - timedelta(days=placed_days_ago)))
            session.add(_entry(member, n, "order", 10 * n, NOW - timedelta(hours=1)))  # all settled today
    with storage.session() as session:
        issued, _ = activity.points_per_day(session, shop_id, 30, NOW)
    assert issued[9] == 30 and issued[29] == 30 and sum(issued) == 60  # not 60 today

    segments.roll_up(storage, shop_id, NOW + timedelta(days=1))  # tomorrow's roll-up has today's entries summed
    later = NOW + timedelta(days=1, hours=2)
    with storage.session() as session:  # a backfill after the roll-up, of an order placed ten days ago
        session.add(OrderRecord(shop_id=shop_id, order_id="4", placed_at=NOW - timedelta(days=10)))
        session.add(_entry(session.get(CustomerRecord, member.id), 4, "order", 7, later - timedelta(minutes=5)))
    with storage.session() as session:
        rolled = session.scalars(select(Shop.rollup).where(Shop.id == shop_id)).one()
        from_roll_up = activity.points_per_day(session, shop_id, 30, later, rolled)
        assert from_roll_up == activity.points_per_day(session, shop_id, 30, later)
    assert from_roll_up[0][8] == 30 and from_roll_up[0][18] == 7 and from_roll_up[0][28] == 30
    assert sum(from_roll_up[0]) == 67


def test_events_per_hour_are_counted_in_their_hour(storage: Storage, offline_shopify_shop: Shop) -> None:
    with storage.session() as session:
        for n, hours_ago in enumerate((0, 0, 1, 5, 47, 48)):
            at = NOW - timedelta(hours=hours_ago)
            session.add(WebhookEvent(shop_id=offline_shopify_shop.id, delivery_id=f"d{n}", topic="orders/paid",
                                     body=b"{}", status="processed", received_at=at))  # fmt: skip
    with storage.session() as session:
        counts = activity.events_per_hour(session, offline_shopify_shop.id, 48, NOW)
    assert (counts[47], counts[46], counts[42], counts[0], sum(counts)) == (2, 1, 1, 1, 5)
