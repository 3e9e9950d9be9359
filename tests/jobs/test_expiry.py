"""Points expire after months without activity (when a shop turns it on), with an e-mailed warning first."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.cli import main
from connector.config import Config
from connector.db.merchants import ProgrammeEvent
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Push, Shop, utcnow
from connector.language.formats import day as day_words
from connector.ops import maintenance
from connector.ops.rewards.view import member_view
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from connector.settle.expiry import add_months
from tests.support import AUTH, MailInbox, customer_json, drain, fixture, post_woo


def test_months_are_added_calendar_wise() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 22), 12) == date(2027, 11, 22)


def test_balance_expires_after_a_warning_and_only_once(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(storage, woo_shop.id, {"expiry_months": 6, "expiry_warning_days": 10, "sync_customers": False})
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    earned_on = utcnow().date()
    expires_on = add_months(earned_on, 6)
    queue, config = event_queue(redis), Config.from_env()

    assert maintenance.expire_points(storage, queue, config, expires_on - timedelta(days=11)) == 0
    drain(redis)
    assert smtp.messages == []
    assert maintenance.expire_points(storage, queue, config, expires_on - timedelta(days=10)) == 0
    assert maintenance.expire_points(storage, queue, config, expires_on - timedelta(days=9)) == 0  # warned once
    drain(redis)
    [warning] = smtp.messages
    assert warning.rcpt_tos == ["john.doe@example.com"]
    letter = message_from_bytes(warning.content, policy=policy.default)
    assert letter["Subject"] == "Your 18 points at woo.example.com expire soon"
    assert letter["List-Unsubscribe"].startswith("<http")
    text = letter.get_body(("plain",)).get_content()
    assert text.startswith("Hello John,") and f"expire on {day_words(expires_on, 'en')}" in text
    assert f"/rewards/{woo_shop.handle}" in text

    assert maintenance.expire_points(storage, queue, config, expires_on) == 1
    assert maintenance.expire_points(storage, queue, config, expires_on + timedelta(days=1)) == 0
    view = customer_json(client, woo_shop, "john.doe@example.com")
    assert view["points"] == 0
    assert (view["entries"][0]["kind"], view["entries"][0]["points"]) == ("expiry", -18)
    points = client.get(f"/admin/api/shops/{woo_shop.id}/metrics", headers=AUTH).get_json()["points"]
    assert (points["issued"], points["expired"], points["outstanding"], points["liability"]) == (18, 18, 0, "0.00")


def test_expiry_is_off_unless_a_shop_turns_it_on(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    far = utcnow().date() + timedelta(days=5000)
    assert maintenance.expire_points(storage, event_queue(redis), Config.from_env(), far) == 0
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18
    with storage.session() as session:
        assert session.scalars(select(Push)).all() == []


def test_a_shop_warning_from_klaviyo_gets_the_event_and_sends_no_letter_of_its_own(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    settings = {"expiry_months": 6, "expiry_warning_days": 10, "sync_customers": False}
    change_settings(storage, woo_shop.id, settings | {"emails": {"expiry_warning": False}})
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    expires_on = add_months(utcnow().date(), 6)
    queue, config = event_queue(redis), Config.from_env()
    assert maintenance.expire_points(storage, queue, config, expires_on - timedelta(days=9)) == 0
    drain(redis)
    assert smtp.messages == []
    with storage.session() as session:
        [expiring] = session.scalars(select(ProgrammeEvent).where(ProgrammeEvent.type == "points.expiring")).all()
    assert (expiring.data["points"], expiring.data["expires_on"]) == (18, expires_on.isoformat())
    assert expiring.data["customer"]["email"] == "john.doe@example.com"


def test_an_operator_runs_expiry_for_one_shop_as_of_a_day_and_again_changes_nothing(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"expiry_months": 6, "sync_customers": False})
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    expires_on = add_months(utcnow().date(), 6)

    def expire(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["expire", *args])
        return result.exit_code, result.output

    assert expire("--shop", str(woo_shop.id), "--today", (expires_on - timedelta(days=1)).isoformat()) == (
        0,
        f"As of {(expires_on - timedelta(days=1)).isoformat()}: 0 balances expired.\n",
    )
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 18
    said = f"As of {expires_on.isoformat()}: 1 balance expired.\n"
    assert expire("--shop", str(woo_shop.id), "--today", expires_on.isoformat()) == (0, said)
    assert expire("--shop", str(woo_shop.id), "--today", expires_on.isoformat()) == (
        0,
        f"As of {expires_on.isoformat()}: 0 balances expired.\n",
    )
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 0
    assert expire("--shop", "999") == (1, "Error: no shop 999\n")
    code, output = expire("--shop", str(woo_shop.id), "--today", "31.12.2027")
    assert code == 2 and "Invalid value for '--today'" in output


def test_points_can_expire_by_when_they_were_earned_oldest_first(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    settings = {"expiry_months": 6, "expiry_warning_days": 10, "expiry_mode": "per_earning", "sync_customers": False}
    change_settings(storage, woo_shop.id, settings)
    old = fixture("woocommerce/order_created.json")  # placed in 2017: its 18 points keep their age
    post_woo(client, woo_shop, "order.created", old)
    recent_day = utcnow().date() - timedelta(days=20)
    recent = old | {"id": 728, "number": "728", "date_created": f"{recent_day.isoformat()}T10:00:00"}
    recent |= {"date_created_gmt": f"{recent_day.isoformat()}T10:00:00"}
    post_woo(client, woo_shop, "order.created", recent)
    drain(redis)
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 36
    queue, config, today = event_queue(redis), Config.from_env(), utcnow().date()

    assert maintenance.expire_points(storage, queue, config, today) == 1  # the 2017 order's points only
    assert maintenance.expire_points(storage, queue, config, today) == 0  # the same day again: nothing
    view = customer_json(client, woo_shop, "john.doe@example.com")
    assert view["points"] == 18
    assert (view["entries"][0]["kind"], view["entries"][0]["points"]) == ("expiry", -18)

    expires_on = add_months(recent_day, 6)
    with storage.session() as session:
        shop = session.get(Shop, woo_shop.id)
        member = session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == woo_shop.id)).one()
        assert member_view(session, shop, member, "en").expiring == ("18", day_words(expires_on, "en"))
    assert maintenance.expire_points(storage, queue, config, expires_on - timedelta(days=10)) == 0
    drain(redis)
    [warning] = smtp.messages
    text = message_from_bytes(warning.content, policy=policy.default).get_body(("plain",)).get_content()
    assert f"Your 18 points at woo.example.com expire on {day_words(expires_on, 'en')}" in text
    assert maintenance.expire_points(storage, queue, config, expires_on) == 1
    assert customer_json(client, woo_shop, "john.doe@example.com")["points"] == 0


def test_the_figures_say_how_many_points_expire_in_the_next_30_and_90_days(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    settings = {"expiry_months": 6, "expiry_mode": "per_earning", "sync_customers": False}
    change_settings(storage, woo_shop.id, settings)
    day = (utcnow() - timedelta(days=165)).date().isoformat()  # expires in about 18 days
    order = fixture("woocommerce/order_created.json") | {
        "date_created": f"{day}T10:00:00",
        "date_created_gmt": f"{day}T10:00:00",
    }
    post_woo(client, woo_shop, "order.created", order)
    drain(redis)
    points = client.get(f"/admin/api/shops/{woo_shop.id}/metrics", headers=AUTH).get_json()["points"]
    assert (points["expiring_30_days"], points["expiring_90_days"]) == (18, 18)
    change_settings(storage, woo_shop.id, {"expiry_mode": "inactivity"})
    points = client.get(f"/admin/api/shops/{woo_shop.id}/metrics", headers=AUTH).get_json()["points"]
    assert "expiring_30_days" not in points and "expiring_90_days" not in points
