"""Points spent on a code come back when the order that used it is cancelled or refunded: once, in any
order of events, in proportion to a partial refund, and never for a gift code (real Shopify and
WooCommerce payloads)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Shop
from connector.ops.shops import change_settings
from tests.support import (
    customer_json,
    drain,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
    proxy_query,
    shopify_refund,
)

JOHN = "115310627314723954"
SECOND = 820982911946154509
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"


@pytest.fixture
def spent(client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis) -> str:
    """John earned 828 points and redeemed 500 of them for a 5.00 code; returns the code."""
    change_settings(storage, shopify_shop.id, {"earn_rate": "2.045", "sync_customers": False})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 828
    redeemed = client.post("/proxy/redeem", query_string=proxy_query(shopify_shop), json={"points": 500, "key": "r1"})
    assert redeemed.status_code == 201
    assert customer_json(client, shopify_shop, JOHN)["points"] == 328
    return redeemed.get_json()["code"]


def second_order(code: str, **changes: Any) -> dict[str, Any]:
    """John's next order (#1043), paid with the code."""
    return paid_shopify_order(
        id=SECOND,
        name="#1043",
        order_number=1043,
        discount_codes=[{"code": code, "amount": "5.00", "type": "fixed_amount"}],
        **changes,
    )


def returned(storage: Storage) -> list[int]:
    with storage.session() as session:
        return list(session.scalars(select(LedgerEntry.points).where(LedgerEntry.rule == "spent_points_returned")))


def test_a_cancelled_order_gives_back_the_points_spent_on_its_code_and_the_code_is_disabled(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, spent: str
) -> None:
    post_shopify(client, shopify_shop, "orders/paid", second_order(spent))
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 328 + 828
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/9"}}})
    responses.post(
        GRAPHQL,
        json={
            "data": {
                "discountCodeDeactivate": {
                    "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/9"},
                    "userErrors": [],
                }
            }
        },
    )
    cancel = second_order(spent, cancelled_at="2026-11-30T10:00:00-05:00", financial_status="voided")
    post_shopify(client, shopify_shop, "orders/cancelled", cancel)
    post_shopify(client, shopify_shop, "orders/cancelled", cancel)  # Shopify retries under a new id
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 828
    assert returned(storage) == [500]
    deactivate = [json.loads(c.request.body) for c in responses.calls if "Deactivate" in c.request.body.decode()]
    assert [d["variables"] for d in deactivate] == [{"id": "gid://shopify/DiscountCodeNode/9"}]
    history = client.get("/proxy/balance", query_string=proxy_query(shopify_shop)).get_json()["history"]
    assert [h["description"] for h in history[:2]] == [
        "Order #1043 cancelled: \u2212828 points",
        "Order #1043 cancelled: 500 points you spent came back",
    ]


def test_cancelled_before_it_was_paid_the_points_come_back_all_the_same(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, spent: str
) -> None:
    post_shopify(
        client, shopify_shop, "orders/cancelled", second_order(spent, cancelled_at="2026-11-30T10:00:00-05:00")
    )
    post_shopify(client, shopify_shop, "orders/paid", second_order(spent))
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 828
    assert returned(storage) == [500]


def test_a_half_refund_gives_back_half(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, spent: str
) -> None:
    order = second_order(spent)
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 700, "202.48"))
    drain(redis)
    assert returned(storage) == [250]


def test_partial_refunds_add_up_without_passing_what_was_spent_in_any_order(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, spent: str
) -> None:
    order = second_order(spent)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 710, "323.96"))  # before paid
    post_shopify(client, shopify_shop, "orders/paid", order)
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 700, "121.49"))
    post_shopify(client, shopify_shop, "refunds/create", shopify_refund(order, 700, "121.49"))  # a repeat
    drain(redis)
    assert sum(returned(storage)) == 500
    cancel = second_order(spent, cancelled_at="2026-11-30T10:00:00-05:00")
    post_shopify(client, shopify_shop, "orders/cancelled", cancel)
    drain(redis)
    assert sum(returned(storage)) == 500


def test_with_return_spent_points_never_the_points_stay_spent(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, spent: str
) -> None:
    change_settings(storage, shopify_shop.id, {"return_spent_points": "never"})
    post_shopify(client, shopify_shop, "orders/paid", second_order(spent))
    post_shopify(
        client, shopify_shop, "orders/cancelled", second_order(spent, cancelled_at="2026-11-30T10:00:00-05:00")
    )
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 328
    assert returned(storage) == []


def test_a_gift_code_gives_nothing_back(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage,
        shopify_shop.id,
        {"sync_customers": False, "gifts": [{"rule": "first_order", "kind": "fixed_amount", "value": "5"}]},
    )
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        from connector.db.tables import IssuedCode

        gift = session.scalars(select(IssuedCode)).one()
        assert gift.points_paid is None
    post_shopify(client, shopify_shop, "orders/paid", second_order(gift.code))
    post_shopify(
        client, shopify_shop, "orders/cancelled", second_order(gift.code, cancelled_at="2026-11-30T10:00:00-05:00")
    )
    drain(redis)
    assert returned(storage) == []
    assert customer_json(client, shopify_shop, JOHN)["points"] == 404


def test_woocommerce_a_cancelled_order_with_a_redeemed_coupon_gives_the_points_back(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"earn_rate": "46", "sync_customers": False})
    first = copy.deepcopy(fixture("woocommerce/order_created.json"))
    post_woo(client, woo_shop, "order.created", first)
    drain(redis)
    guest = "john.doe@example.com"
    assert customer_json(client, woo_shop, guest)["points"] == 828
    with storage.session() as session:
        key = session.get(Shop, woo_shop.id).customer_api_key
    auth = {"Authorization": f"Bearer {key}"}
    body = {"customer": guest, "points": 500, "key": "r1"}
    code = client.post(f"/api/shops/{woo_shop.id}/customer/redeem", json=body, headers=auth).get_json()["code"]
    second = copy.deepcopy(first) | {"id": 728, "number": "728", "coupon_lines": [{"id": 1, "code": code.lower()}]}
    post_woo(client, woo_shop, "order.updated", second)
    api = "https://woo.example.com/wp-json/wc/v3"
    responses.get(f"{api}/coupons", json=[{"id": 901, "code": code.lower()}])
    responses.put(f"{api}/coupons/901", json={"id": 901})
    post_woo(client, woo_shop, "order.updated", second | {"status": "cancelled"})
    drain(redis)
    assert customer_json(client, woo_shop, guest)["points"] == 828
    [put] = [c for c in responses.calls if c.request.method == "PUT"]
    assert "date_expires_gmt" in json.loads(put.request.body)


def test_the_programme_form_shows_and_sets_the_policy(
    client: FlaskClient, shopify_shop: Shop, storage: Storage
) -> None:
    import re

    from tests.support import login

    login(client)
    page = client.get(f"/admin/shops/{shopify_shop.id}/programme").get_data(as_text=True)
    assert "When an order paid with points is cancelled or refunded" in page
    form = {name: value for name, value in re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    form = {k: v for k, v in form.items() if k != "action"} | {"return_spent_points": "never", "action": "save"}
    assert client.post(f"/admin/shops/{shopify_shop.id}/programme", data=form).status_code == 302
    with storage.session() as session:
        assert session.get(Shop, shopify_shop.id).settings["return_spent_points"] == "never"
