"""Customers redeem points for single-use codes: atomic, never double-spent, undone if the store refuses."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Push, Shop
from connector.ops.shops import change_settings
from connector.settle import ledger, redemption
from tests.support import (
    AUTH,
    customer_json,
    drain,
    fixture,
    post_woo,
    proxy_query,
)

JOHN = "115310627314723954"
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"


@pytest.fixture
def member(redeeming_member: Shop) -> Shop:
    """John with 1012 points."""
    return redeeming_member


def member_id(storage: Storage) -> int:
    with storage.session() as session:
        return session.scalars(select(CustomerRecord.id).where(CustomerRecord.key == JOHN)).one()


def test_balance_history_and_rewards_through_the_app_proxy(client: FlaskClient, member: Shop) -> None:
    response = client.get("/proxy/balance", query_string=proxy_query(member))
    assert response.status_code == 200
    view = response.get_json()
    assert view["points"] == 1012
    assert [(h["kind"], h["points"]) for h in view["history"]] == [("order", 1012)]
    assert [o["points"] for o in view["rewards"]["options"]] == [500, 600, 700, 800, 900, 1000]
    assert view["rewards"]["options"][0]["value"] == "5.00"


@pytest.mark.parametrize(
    ("make_query", "reason"),
    [
        (lambda shop: proxy_query(shop) | {"logged_in_customer_id": "1"}, "signature does not match"),
        (lambda shop: proxy_query(shop) | {"shop": "someone-else.myshopify.com"}, "signature does not match"),
        (lambda shop: proxy_query(shop, secret="not-the-app-secret"), "signature does not match"),
        (lambda shop: {k: v for k, v in proxy_query(shop).items() if k != "signature"}, "not signed"),
        (lambda shop: proxy_query(shop, timestamp=str(int(time.time()) - 7200)), "expired"),
        (lambda shop: proxy_query(shop, customer=""), "log in"),
    ],
)
def test_proxy_requests_must_be_shopifys_and_for_a_logged_in_customer(
    client: FlaskClient, member: Shop, make_query: Any, reason: str
) -> None:
    response = client.get("/proxy/balance", query_string=make_query(member))
    assert response.status_code == 401
    assert reason in response.get_json()["error"]


def test_redeeming_takes_the_points_and_the_store_gets_the_code(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    response = client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": 500, "key": "tap-1"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["points"], body["value"], body["balance"]) == (500, "5.00", 512)
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL,
        json={
            "data": {
                "discountCodeBasicCreate": {
                    "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1"},
                    "userErrors": [],
                }
            }
        },
    )
    drain(redis)
    sent = json.loads(responses.calls[1].request.body)["variables"]["discount"]
    assert sent["code"] == body["code"]
    assert sent["customerGets"]["value"]["discountAmount"]["amount"] == "5.00"
    assert sent["context"] == {"customers": {"add": [f"gid://shopify/Customer/{JOHN}"]}}
    kinds = [(e["kind"], e["points"]) for e in customer_json(client, member, JOHN)["entries"]]
    assert kinds == [("redemption", -500), ("order", 1012)]


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        (450, "at least 500 points, in steps of 100"),
        (550, "in steps of 100"),
        (1100, "not enough points: the balance is 1012"),
        ("lots", "whole number"),
        (-500, "whole number"),
    ],
)
def test_bad_redemptions_say_why_and_take_nothing(client: FlaskClient, member: Shop, points: Any, reason: str) -> None:
    response = client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": points, "key": "tap-1"})
    assert response.status_code == 400
    assert reason in response.get_json()["error"]
    assert customer_json(client, member, JOHN)["points"] == 1012


def test_a_retried_redemption_with_the_same_key_spends_once(client: FlaskClient, member: Shop) -> None:
    first = client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": 500, "key": "tap-1"})
    again = client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": 500, "key": "tap-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["code"] == first.get_json()["code"] and again.get_json()["repeated"] is True
    assert customer_json(client, member, JOHN)["points"] == 512


def test_parallel_redemptions_never_spend_the_same_points(member: Shop, storage: Storage) -> None:
    customer = member_id(storage)

    def attempt(n: int) -> str:
        try:
            redemption.redeem(storage, member.id, customer, 500)
            return "ok"
        except redemption.RedemptionError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    assert results.count("ok") == 2
    assert all(r.startswith("not enough points") for r in results if r != "ok")
    with storage.session() as session:
        record = session.get(CustomerRecord, customer)
        assert record.points == 12 == ledger.balance(session, customer)
        assert len(session.scalars(select(Push).where(Push.kind == "discount_code")).all()) == 2


def test_points_come_back_if_the_store_refuses_the_code(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": 1000, "key": "tap-1"})
    assert customer_json(client, member, JOHN)["points"] == 12
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval for write_discounts scope."}
    )
    drain(redis)
    view = customer_json(client, member, JOHN)
    assert view["points"] == 1012
    assert next((e["kind"], e["points"], e["rule"]) for e in view["entries"]) == (
        "adjustment",
        1000,
        "code_refused_points_returned",
    )
    drain(redis)  # nothing more happens on a second look
    with storage.session() as session:
        assert len(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "adjustment")).all()) == 1


def test_store_site_redeems_for_a_guest_with_its_customer_api_key(
    client: FlaskClient, woo_shop: Shop, storage: Storage, config: Config, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"earn_rate": "30"})
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    with storage.session() as session:
        key = session.get(Shop, woo_shop.id).customer_api_key
    url = f"/api/shops/{woo_shop.id}/customers/john.doe@example.com"
    assert client.get(f"{url}/balance").status_code == 401
    assert client.get(f"{url}/balance", headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get(f"{url}/balance", headers=auth).get_json()["points"] == 540
    redeemed = client.post(f"{url}/redeem", json={"points": 500}, headers=auth)
    assert redeemed.status_code == 201
    responses.get("https://woo.example.com/wp-json/wc/v3/coupons", json=[])
    responses.post("https://woo.example.com/wp-json/wc/v3/coupons", json={"id": 901}, status=201)
    drain(redis)
    coupon = json.loads(responses.calls[1].request.body)
    assert (coupon["code"], coupon["amount"], coupon["email_restrictions"]) == (
        redeemed.get_json()["code"],
        "5.00",
        ["john.doe@example.com"],
    )
    unknown = client.post(
        f"/api/shops/{woo_shop.id}/customers/nobody@example.com/redeem", json={"points": 500}, headers=auth
    )
    assert unknown.status_code == 400 and "balance is 0" in unknown.get_json()["error"]


def test_the_customer_api_takes_the_customer_in_the_query_or_body_so_no_address_is_in_a_path(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"earn_rate": "30"})
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    with storage.session() as session:
        auth = {"Authorization": f"Bearer {session.get(Shop, woo_shop.id).customer_api_key}"}
    base = f"/api/shops/{woo_shop.id}/customer"
    balance = client.get(f"{base}/balance", query_string={"customer": "john.doe@example.com"}, headers=auth)
    assert balance.get_json()["points"] == 540
    body = {"customer": "john.doe@example.com", "points": 500, "key": "k-1"}
    assert client.post(f"{base}/redeem", json=body, headers=auth).status_code == 201
    missing = client.get(f"{base}/balance", headers=auth)
    assert missing.status_code == 400 and "customer is required" in missing.get_json()["error"]


def test_a_refused_redemption_whose_points_came_back_cannot_be_retried_into_a_free_code(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": 1000, "key": "tap-1"})
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval for write_discounts scope."}
    )
    drain(redis)
    assert customer_json(client, member, JOHN)["points"] == 1012
    with storage.session() as session:
        push_id = session.scalars(select(Push.id).where(Push.status == "failed")).one()
    answer = client.post(f"/admin/api/shops/{member.id}/pushes/{push_id}/retry", headers=AUTH)
    assert answer.status_code == 409
    assert "points were given back" in answer.get_json()["error"]
    with storage.session() as session:
        assert session.get(Push, push_id).status == "failed"
    assert customer_json(client, member, JOHN)["points"] == 1012  # they can simply redeem again
    assert client.post(f"/admin/api/shops/{member.id}/pushes/{push_id}/discard", headers=AUTH).status_code == 200
