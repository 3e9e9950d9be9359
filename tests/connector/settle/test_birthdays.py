"""Birthday codes: the birthday is set once by the customer, and brings one code a year."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Push, Shop
from connector.ops import maintenance
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from connector.settle.gifts import is_birthday
from tests.support import drain, paid_shopify_order, post_shopify, proxy_query

JOHN = "115310627314723954"


@pytest.fixture
def member(client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    change_settings(
        storage,
        offline_shopify_shop.id,
        {"gifts": [{"rule": "birthday", "kind": "percentage", "value": 15, "days": 14}]},
    )
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    return offline_shopify_shop


def birthday_codes(storage: Storage) -> list[str]:
    with storage.session() as session:
        found = session.scalars(select(Push).where(Push.kind == "discount_code").order_by(Push.id))
        return [p.payload["reason"] for p in found]


def test_a_birthday_set_once_brings_one_code_a_year(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    response = client.post("/proxy/birthday", query_string=proxy_query(member), json={"birthday": "1990-05-17"})
    assert response.status_code == 200
    assert client.get("/proxy/balance", query_string=proxy_query(member)).get_json()["birthday"] == "1990-05-17"
    queue = event_queue(redis)
    assert maintenance.daily_gifts(storage, queue, date(2027, 5, 16)) == 0
    assert maintenance.daily_gifts(storage, queue, date(2027, 5, 17)) == 1
    assert maintenance.daily_gifts(storage, queue, date(2027, 5, 17)) == 0  # the job ran twice that day
    assert maintenance.daily_gifts(storage, queue, date(2028, 5, 17)) == 1
    with storage.session() as session:
        john = session.scalars(select(CustomerRecord.id)).one()
    assert birthday_codes(storage) == [f"gift:birthday:0:{john}:2027", f"gift:birthday:0:{john}:2028"]


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [("17/05/1990", 400, "a date like"), ("2999-01-01", 400, "in the past"), (19900517, 400, "a date like")],
)
def test_bad_birthdays_are_refused(client: FlaskClient, member: Shop, value: object, status: int, reason: str) -> None:
    response = client.post("/proxy/birthday", query_string=proxy_query(member), json={"birthday": value})
    assert response.status_code == status and reason in response.get_json()["error"]


def test_a_birthday_cant_be_changed_to_farm_gifts(client: FlaskClient, member: Shop) -> None:
    client.post("/proxy/birthday", query_string=proxy_query(member), json={"birthday": "1990-05-17"})
    again = client.post("/proxy/birthday", query_string=proxy_query(member), json={"birthday": "1990-05-17"})
    changed = client.post("/proxy/birthday", query_string=proxy_query(member), json={"birthday": "1990-11-22"})
    assert again.status_code == 200
    assert changed.status_code == 409 and "already set" in changed.get_json()["error"]


def test_leap_day_birthdays_are_kept_on_the_28th() -> None:
    assert is_birthday(date(2000, 2, 29), date(2027, 2, 28))
    assert not is_birthday(date(2000, 2, 29), date(2028, 2, 28))
    assert is_birthday(date(2000, 2, 29), date(2028, 2, 29))
