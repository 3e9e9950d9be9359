"""Programme metrics, each against numbers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask.testing import FlaskClient
from pytest import MonkeyPatch
from redis import Redis
from rq import Queue
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Push, Shop
from connector.ops import figures
from connector.ops.customers import segments as segments_rollup
from connector.ops.figures import (
    Buyer,
    average_order_value,
    lifetime_value,
    repeat_purchase_rate,
    rfm_segments,
)
from connector.ops.shops import change_settings
from connector.queue.connection import QUEUE_NAME
from connector.rules import segments
from connector.settle import redemption
from tests.support import AUTH, drain, paid_shopify_order, post_shopify

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def ago(days: int, total: str) -> tuple[datetime, Decimal]:
    return NOW - timedelta(days=days), Decimal(total)


A = Buyer(member=True, tier="Gold", points=10, orders=(ago(10, "100"), ago(40, "50")))
B = Buyer(member=True, tier=None, points=5, orders=(ago(200, "30"),))
C = Buyer(member=False, tier=None, points=2, orders=(ago(5, "20"),))
D = Buyer(member=True, tier=None, points=0, orders=())
E = Buyer(member=False, tier=None, points=4, orders=(ago(300, "40"), ago(310, "60"), ago(320, "10")))


def test_members_repeat_order_value_and_lifetime_value() -> None:
    members, guests = [A, B, D], [C, E]
    assert repeat_purchase_rate(members) == Decimal("0.5000")  # A of A, B (D never bought)
    assert average_order_value(members) == Decimal("60.00")  # (100 + 50 + 30) / 3
    assert lifetime_value(members) == Decimal("90.00")  # 180 / 2 buyers
    assert repeat_purchase_rate(guests) == Decimal("0.5000")  # E of C, E
    assert average_order_value(guests) == Decimal("32.50")  # (20 + 40 + 60 + 10) / 4
    assert lifetime_value(guests) == Decimal("65.00")  # 130 / 2
    assert repeat_purchase_rate([D]) is None and average_order_value([]) is None


def test_spend_scores_share_ties_whatever_their_number() -> None:
    assert segments.spend_scores([Decimal(v) for v in (1, 2, 3, 4, 5)]) == [1, 2, 3, 4, 5]
    assert segments.spend_scores([Decimal(v) for v in (10, 10, 20)]) == [1, 1, 5]
    assert segments.spend_scores([Decimal(10)] * 21) == [3] * 21  # everyone the same: the middle
    assert segments.spend_scores([Decimal(7)]) == [3]


def test_recency_is_elapsed_time_in_bands_of_the_typical_interval() -> None:
    assert segments.typical_interval([]) == 30
    assert segments.typical_interval([1.0, 2.0]) == 7  # at least a week
    assert segments.typical_interval([10.0, 30.0, 40.0]) == 30
    assert [segments.recency_score(d, 20) for d in (0, 20, 21, 40, 80, 160, 161)] == [5, 5, 4, 4, 3, 2, 1]
    assert [segments.frequency_score(n) for n in (1, 2, 3, 4, 5, 9, 10, 50)] == [1, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_segments() -> None:
    # typical interval: the median of A's average gap (30 days) and E's (10): 20 days
    # recency (days ago) A 10, C 5 -> 5; B 200, E 300 (over 8 intervals) -> 1
    # frequency (orders) B 1, C 1 -> 1; A 2 -> 2; E 3 -> 3
    # spend              C 20 -> 1, B 30 -> 2, E 110 -> 4, A 150 -> 5
    # A r5 f2, two orders: potential; B r1 f1: hibernating; C one recent order: new; E r1 f3: at risk
    assert rfm_segments([A, B, C, D, E], NOW) == {
        "champions": 0,
        "loyal": 0,
        "potential": 1,
        "new": 1,
        "at_risk": 1,
        "hibernating": 1,
    }


def test_customers_who_just_bought_are_never_at_risk_or_hibernating() -> None:
    just_now = [Buyer(member=True, tier=None, points=0, orders=((NOW - timedelta(minutes=n), Decimal(10)),))
                for n in range(21)]  # fmt: skip
    assert rfm_segments(just_now, NOW)["new"] == 21
    repeat = [Buyer(member=True, tier=None, points=0, orders=((NOW - timedelta(minutes=n), Decimal(10)),) * 2)
              for n in range(21)]  # fmt: skip
    found = rfm_segments(repeat, NOW)
    assert found["at_risk"] == found["hibernating"] == 0


def test_the_metrics_endpoint_measures_points_liability_and_gift_use(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage, offline_shopify_shop.id, {"earn_rate": "2.5", "gifts": [{"rule": "first_order", "value": "5.00"}]}
    )
    recent = datetime.now(UTC).isoformat()
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(created_at=recent))
    drain(redis)
    with storage.session() as session:
        gift_code = session.scalars(select(Push).where(Push.kind == "discount_code")).one().payload["code"]
        john = session.scalars(select(CustomerRecord.id)).one()
    redemption.redeem(storage, offline_shopify_shop.id, john, 500)
    used = [{"code": gift_code.lower(), "amount": "5.00", "type": "fixed_amount"}]
    post_shopify(
        client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=2002, created_at=recent, discount_codes=used)
    )
    drain(redis)
    body = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/metrics", headers=AUTH).get_json()
    # two orders of 404.95 at 2.5 points per 1.00: 1012 each; 500 redeemed; 100 points = 1.00
    assert body["points"] == {
        "issued": 2024,
        "redeemed": 500,
        "expired": 0,
        "redemption_rate": "0.2470",
        "outstanding": 1524,
        "liability": "15.24",
    }
    assert body["gift_codes"] == {"issued": 1, "used": 1}
    assert (body["members"], body["active_members"], body["tiers"]) == (1, 1, {"none": 1})
    assert body["members_vs_non_members"]["members"] == {
        "customers": 1,
        "repeat_purchase_rate": "1.0000",
        "average_order_value": "404.95",
        "lifetime_value": "809.90",
    }
    assert body["members_vs_non_members"]["non_members"]["customers"] == 0
    assert body["segments"]["potential"] == 1  # two orders just now: recent, not yet frequent
    assert client.get(f"/admin/api/shops/{offline_shopify_shop.id}/metrics").status_code == 401


def test_a_large_shops_figures_are_those_of_its_latest_roll_up(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, monkeypatch: MonkeyPatch
) -> None:
    monkeypatch.setattr(figures, "INLINE_ROLLUP", 0)  # any shop with a customer counts as large
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())  # 404.95: 404 points
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=2002))
    drain(redis)
    url = f"/admin/api/shops/{offline_shopify_shop.id}/metrics"
    looked = client.get(url, headers=AUTH)  # never rolled up: a worker counts, the answer doesn't wait
    assert looked.status_code == 202 and looked.get_json()["status"] == "counting"
    assert int(looked.headers["Retry-After"]) >= 1 and looked.get_json()["ready_at"]
    page = client.get(f"/admin/shops/{offline_shopify_shop.id}", headers=AUTH).get_data(as_text=True)
    assert "are being counted for the first time: ready around" in page
    assert client.get(url, headers=AUTH).status_code == 202
    assert [job.id for job in Queue(QUEUE_NAME, connection=redis).jobs] == [f"roll-up-{offline_shopify_shop.id}"]
    drain(redis)  # the worker's roll-up, queued once
    first = client.get(url, headers=AUTH).get_json()
    assert (first["points"]["outstanding"], first["members"], first["as_of"] is not None) == (808, 1, True)
    with storage.session() as session:
        john = session.scalars(select(CustomerRecord.id)).one()
    redemption.redeem(storage, offline_shopify_shop.id, john, 500)

    stale = client.get(url, headers=AUTH).get_json()
    assert (stale["points"]["outstanding"], stale["points"]["redeemed"], stale["as_of"]) == (808, 0, first["as_of"])
    segments_rollup.roll_up(storage, offline_shopify_shop.id)  # the hourly job
    fresh = client.get(url, headers=AUTH).get_json()
    assert (fresh["points"]["outstanding"], fresh["points"]["redeemed"]) == (308, 500)
    page = client.get(f"/admin/shops/{offline_shopify_shop.id}", headers=AUTH).get_data(as_text=True)
    assert "a shop this large has them worked out hourly" in page


def test_the_roll_up_scores_spend_in_the_database_as_the_rules_do(storage: Storage, offline_shopify_shop: Shop) -> None:
    shop_id = offline_shopify_shop.id
    histories = [
        [(d, total) for d, total in zip(range(n % 4 + 1), (30, 30, 45, 10), strict=False)] for n in range(40)
    ]  # fmt: skip  (ties in spend, one to four orders)
    buyers = []
    with storage.session() as session:
        for n, history in enumerate(histories):
            member = CustomerRecord(shop_id=shop_id, key=f"k{n}", platform_id=f"k{n}", points=0)
            session.add(member)
            session.flush()
            orders = tuple((NOW - timedelta(days=9 * (days + n)), Decimal(total)) for days, total in history)
            for k, (placed, total) in enumerate(orders):
                session.add(OrderRecord(shop_id=shop_id, order_id=f"{n}-{k}", customer_id=member.id, paid=True,
                                        total=total, placed_at=placed))  # fmt: skip
            buyers.append(Buyer(member=True, tier=None, points=0, orders=orders))
    assert segments_rollup.roll_up(storage, shop_id, NOW) == rfm_segments(buyers, NOW)
