"""Tiers by calendar year or for life, and a grace period: the rules merchants bring from the apps they leave
(Yotpo's and Smile's calendar-year tiers, a tier kept a while after the spend no longer reaches it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, OrderRecord, Shop
from connector.language.formats import day as day_words
from connector.ops.rewards.view import member_view, programme_view
from connector.ops.shops import change_settings
from connector.programme import ProgrammeSettings, SettingsError
from jobs.upkeep import recompute_tiers
from tests.support import AUTH, MailInbox, customer_json, drain, paid_shopify_order, post_shopify, shopify_refund

JOHN = "115310627314723954"
TIERS = [
    {"name": "Bronze", "min_spend": "0"},
    {"name": "Silver", "min_spend": "300"},
    {"name": "Gold", "min_spend": "700"},
]
NOW = datetime.now(UTC)


def placed(storage: Storage, when: datetime) -> None:
    with storage.session() as session:
        session.execute(update(OrderRecord).values(placed_at=when))


def test_a_tier_earned_last_calendar_year_is_kept_all_this_year_and_a_lifetime_tier_for_ever(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": TIERS})
    post_shopify(client, shop, "orders/paid", paid_shopify_order(created_at=NOW.isoformat()))
    drain(redis)
    assert customer_json(client, shop, JOHN)["tier"] == "Silver"
    placed(storage, datetime(NOW.year - 1, 1, 2, tzinfo=UTC))  # more than 12 months ago, but last year

    assert recompute_tiers() == 1  # rolling 12 months: it has aged out
    assert customer_json(client, shop, JOHN)["tier"] == "Bronze"
    change_settings(storage, shop.id, {"tier_period": "calendar_year"})
    assert recompute_tiers() == 1
    assert customer_json(client, shop, JOHN)["tier"] == "Silver"
    assert recompute_tiers() == 0

    placed(storage, datetime(NOW.year - 2, 12, 31, tzinfo=UTC))  # the year before last: no longer
    assert recompute_tiers() == 1
    assert customer_json(client, shop, JOHN)["tier"] == "Bronze"
    change_settings(storage, shop.id, {"tier_period": "lifetime"})
    assert recompute_tiers() == 1
    assert customer_json(client, shop, JOHN)["tier"] == "Silver"


def test_a_member_whose_spend_drops_keeps_the_tier_through_the_grace_days_told_what_keeps_it(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": TIERS, "tier_grace_days": 30})
    order = paid_shopify_order(created_at=NOW.isoformat())
    post_shopify(client, shop, "orders/paid", order)
    drain(redis)
    smtp.messages.clear()
    post_shopify(client, shop, "refunds/create", shopify_refund(order, 7001, "200.00"))  # 204.95 left
    drain(redis)
    keep_until = date.today() + timedelta(days=30)
    with storage.session() as session:
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.platform_id == JOHN)).one()
        assert (member.tier, member.tier_kept_until) == ("Silver", keep_until)
        assert member_view(session, shop, member, "en").tier_kept_until == day_words(keep_until, "en")
    [letter] = [message_from_bytes(m.content, policy=policy.default) for m in smtp.messages]
    assert letter["Subject"] == "Keep your Silver tier at sadakat-test.myshopify.com"
    text = letter.get_body(("plain",)).get_content()
    assert f"You keep Silver until {day_words(keep_until, 'en')}. Spend $95.05" in text
    assert "otherwise you move to Bronze." in text

    assert recompute_tiers() == 0  # in its grace: kept, and no second letter
    drain(redis)
    assert len(smtp.messages) == 1
    with storage.session() as session:
        session.execute(update(CustomerRecord).values(tier_kept_until=date.today() - timedelta(days=1)))
    assert recompute_tiers() == 1
    assert customer_json(client, shop, JOHN)["tier"] == "Bronze"
    with storage.session() as session:
        assert session.scalar(select(CustomerRecord.tier_kept_until)) is None


def test_earning_the_tier_again_ends_the_grace(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": TIERS, "tier_grace_days": 30})
    order = paid_shopify_order(created_at=NOW.isoformat())
    post_shopify(client, shop, "orders/paid", order)
    drain(redis)
    post_shopify(client, shop, "refunds/create", shopify_refund(order, 7001, "200.00"))
    drain(redis)
    with storage.session() as session:
        assert session.scalar(select(CustomerRecord.tier_kept_until)) == date.today() + timedelta(days=30)
    post_shopify(client, shop, "orders/paid", paid_shopify_order(id=2002, created_at=NOW.isoformat()))
    drain(redis)  # 204.95 + 404.95: Silver earned again
    with storage.session() as session:
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.platform_id == JOHN)).one()
        assert (member.tier, member.tier_kept_until) == ("Silver", None)
        assert member_view(session, shop, member, "en").tier_kept_until is None


def test_tier_period_and_grace_days_are_checked_naming_the_field() -> None:
    assert ProgrammeSettings.from_dict({}).tier_period == "rolling_12_months"
    for bad, field in (({"tier_period": "weekly"}, "tier_period"), ({"tier_grace_days": 400}, "tier_grace_days")):
        try:
            ProgrammeSettings.from_dict(bad)
        except SettingsError as exc:
            assert str(exc).startswith(field), str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")


def test_the_rewards_page_says_what_counts_in_a_calendar_year(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": TIERS, "tier_period": "calendar_year", "currency": "TRY"})
    post_shopify(client, shop, "orders/paid", paid_shopify_order(created_at=NOW.isoformat()))
    drain(redis)
    year_end = day_words(date(NOW.year, 12, 31), "en")
    with storage.session() as session:
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.platform_id == JOHN)).one()
        fresh = session.get(Shop, shop.id)
        assert fresh is not None
        seen = member_view(session, fresh, member, "en")
    assert seen.progress == f"Spend TRY295.05 more by {year_end} to reach Gold."
    gold = programme_view(fresh, "en").tiers[-1]
    assert gold.perks[0] == "from TRY700.00 spent in a calendar year, kept all of the next"


def test_tiers_by_points_earned_which_spending_them_does_not_lower(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    tiers = [{"name": "Silver", "min_points": 300}, {"name": "Gold", "min_points": 700}]
    change_settings(storage, shop.id, {"tiers": tiers, "tier_basis": "points"})
    order = paid_shopify_order(created_at=NOW.isoformat())
    post_shopify(client, shop, "orders/paid", order)  # 404 points
    drain(redis)
    assert customer_json(client, shop, JOHN)["tier"] == "Silver"
    with storage.session() as session:
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.platform_id == JOHN)).one()
        fresh = session.get(Shop, shop.id)
        assert fresh is not None
        assert member_view(session, fresh, member, "en").progress == "Earn 296 more points to reach Gold."
        assert programme_view(fresh, "tr").tiers[-1].perks[0] == "700 puan kazanımından itibaren"
        member_id = member.id
    adjusted = client.post(f"/admin/api/shops/{shop.id}/customers/{JOHN}/adjustments", headers=AUTH,
                           json={"points": -400, "reason": "spent at the till", "key": "till-1"})  # fmt: skip
    assert adjusted.status_code == 201
    assert recompute_tiers() == 0  # points spent don't lower what was earned
    post_shopify(client, shop, "refunds/create", shopify_refund(order, 7001, "200.00"))
    drain(redis)
    with storage.session() as session:
        assert session.get(CustomerRecord, member_id).tier is None  # type: ignore[union-attr]


def test_tiers_by_points_need_their_points_named_at_the_field() -> None:
    for tiers, said in (
        ([{"name": "Silver"}], "tiers[1].min_points"),
        (
            [{"name": "Silver", "min_points": 5}, {"name": "Gold", "min_points": 5}],
            "each tier needs its own min_points",
        ),
    ):
        try:
            ProgrammeSettings.from_dict({"tier_basis": "points", "tiers": tiers})
        except SettingsError as exc:
            assert str(exc).startswith(said), str(exc)
        else:
            raise AssertionError(f"{tiers} was accepted")


def test_the_grace_letter_of_a_tier_by_points_names_the_points_that_keep_it(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    shop = offline_shopify_shop
    tiers = [{"name": "Silver", "min_points": 300}]
    change_settings(storage, shop.id, {"tiers": tiers, "tier_basis": "points", "tier_grace_days": 14})
    order = paid_shopify_order(created_at=NOW.isoformat())
    post_shopify(client, shop, "orders/paid", order)
    drain(redis)
    smtp.messages.clear()
    post_shopify(client, shop, "refunds/create", shopify_refund(order, 7001, "200.00"))
    drain(redis)
    [letter] = [message_from_bytes(m.content, policy=policy.default) for m in smtp.messages]
    text = letter.get_body(("plain",)).get_content()
    keep_until = day_words(date.today() + timedelta(days=14), "en")
    assert f"You keep Silver until {keep_until}. Earn 95 more points by then and it is yours again." in text
