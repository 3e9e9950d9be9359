"""VIP tiers: by spend over 12 months, multiplying points, recorded, written to the store, and lapsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Push, Shop, TierChange
from connector.ops.shops import change_settings
from connector.outbox.pushes import EMAIL
from jobs.upkeep import recompute_tiers
from tests.support import customer_json, drain, paid_shopify_order, post_shopify, shopify_refund

JOHN = "115310627314723954"
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
TIERS = [
    {"name": "Bronze", "min_spend": "0"},
    {"name": "Silver", "min_spend": "300", "multiplier": "1.5"},
    {"name": "Gold", "min_spend": "700", "multiplier": "2"},
]
RECENT = datetime.now(UTC).isoformat()


def changes(storage: Storage) -> list[tuple[str | None, str | None, str]]:
    with storage.session() as session:
        return [(c.from_tier, c.to_tier, c.reason) for c in session.scalars(select(TierChange).order_by(TierChange.id))]


def test_spend_moves_members_up_and_the_multiplier_applies_from_then_on(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(created_at=RECENT))
    drain(redis)
    view = customer_json(client, offline_shopify_shop, JOHN)
    assert (view["points"], view["tier"]) == (404, "Silver")  # earned at Bronze (x1), then 404.95 reached Silver
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=2002, created_at=RECENT))
    drain(redis)
    view = customer_json(client, offline_shopify_shop, JOHN)
    assert (view["points"], view["tier"]) == (404 + 607, "Gold")  # floor(404.95 x 1.5) at Silver
    assert view["entries"][0]["rate"] == "1.5"
    assert changes(storage) == [(None, "Silver", "order"), ("Silver", "Gold", "order")]
    from tests.support import AUTH

    post_shopify(
        client,
        offline_shopify_shop,
        "orders/paid",
        paid_shopify_order(id=2003, created_at=RECENT, customer=paid_shopify_order()["customer"] | {"id": 42}),
    )
    drain(redis)
    metrics = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/metrics", headers=AUTH).get_json()
    assert metrics["tiers"] == {"Gold": 1, "Silver": 1}


def test_a_refund_can_take_a_member_down_a_tier(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    order = paid_shopify_order(created_at=RECENT)
    post_shopify(client, offline_shopify_shop, "orders/paid", order)
    post_shopify(client, offline_shopify_shop, "refunds/create", shopify_refund(order, 7001, "200.00"))
    drain(redis)
    assert customer_json(client, offline_shopify_shop, JOHN)["tier"] == "Bronze"  # 204.95 left
    assert changes(storage)[-1] == ("Silver", "Bronze", "order")


def test_tiers_lapse_nightly_as_spend_ages_out(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(created_at=RECENT))
    drain(redis)
    with storage.session() as session:
        session.execute(update(OrderRecord).values(placed_at=datetime.now(UTC) - timedelta(days=400)))
    assert recompute_tiers() == 1
    assert customer_json(client, offline_shopify_shop, JOHN)["tier"] == "Bronze"
    assert changes(storage)[-1] == ("Silver", "Bronze", "nightly")
    assert recompute_tiers() == 0


def test_tier_changes_are_written_to_the_store_moving_the_tag(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, shopify_shop.id, {"tiers": TIERS})
    ok = {"userErrors": []}
    responses.post(GRAPHQL, json={"data": {"metafieldsSet": ok | {"metafields": []}}})
    responses.post(GRAPHQL, json={"data": {"tagsAdd": ok}})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(created_at=RECENT))
    drain(redis)
    bodies = [json.loads(c.request.body)["variables"] for c in responses.calls]
    assert bodies[0]["metafields"][1] == {
        "ownerId": f"gid://shopify/Customer/{JOHN}",
        "namespace": "sadakat",
        "key": "tier",
        "type": "single_line_text_field",
        "value": "Silver",
    }
    assert bodies[1] == {"id": f"gid://shopify/Customer/{JOHN}", "tags": ["sadakat-tier-silver"]}

    responses.post(GRAPHQL, json={"data": {"metafieldsSet": ok | {"metafields": []}}})
    responses.post(GRAPHQL, json={"data": {"tagsRemove": ok}})
    responses.post(GRAPHQL, json={"data": {"tagsAdd": ok}})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(id=2002, created_at=RECENT))
    drain(redis)
    bodies = [json.loads(c.request.body)["variables"] for c in responses.calls][2:]
    assert bodies[1] == {"id": f"gid://shopify/Customer/{JOHN}", "tags": ["sadakat-tier-silver"]}  # removed
    assert bodies[2] == {"id": f"gid://shopify/Customer/{JOHN}", "tags": ["sadakat-tier-gold"]}


def test_a_night_after_the_tiers_change_moves_every_member_once_with_one_letter_each(
    offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop_id = offline_shopify_shop.id
    spent = {"ada": "800", "bora": "400", "cem": "50", "deniz": "750"}  # deniz has no e-mail: no letter
    with storage.session() as session:
        for n, (name, amount) in enumerate(spent.items()):
            member = CustomerRecord(shop_id=shop_id, key=name, platform_id=name, points=0, tier="Bronze",
                                    email=None if name == "deniz" else f"{name}@example.com")  # fmt: skip
            session.add(member)
            session.flush()
            session.add(OrderRecord(shop_id=shop_id, order_id=f"o{n}", customer_id=member.id, paid=True,
                                    merchandise_amount=Decimal(amount), placed_at=datetime.now(UTC)))  # fmt: skip
    diamond = {"name": "Diamond", "min_spend": "250000", "multiplier": "3"}  # past a 32-bit count of units
    change_settings(storage, shop_id, {"tiers": [*TIERS, diamond]})
    assert recompute_tiers() == 3  # cem stays Bronze
    with storage.session() as session:
        tiers = {key: tier for key, tier in session.execute(select(CustomerRecord.key, CustomerRecord.tier))}
        letters = sorted(session.scalars(select(Push.target).where(Push.kind == EMAIL)))
    assert tiers == {"ada": "Gold", "bora": "Silver", "cem": "Bronze", "deniz": "Gold"}
    assert sorted(changes(storage)) == [("Bronze", "Gold", "nightly"), ("Bronze", "Gold", "nightly"),
                                        ("Bronze", "Silver", "nightly")]  # fmt: skip
    assert letters == ["ada", "bora"]
    assert recompute_tiers() == 0 and len(changes(storage)) == 3
