"""Hostile inputs found by review: each gets a clear 4xx (or a failed event with its reason), never a 500,
another customer's points, or a memory blow-up."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, WebhookEvent
from connector.settle import door, ledger
from tests.support import (
    SHOPIFY_SECRET,
    customer_json,
    drain,
    paid_shopify_order,
    post_shopify,
    proxy_query,
)

JOHN = "115310627314723954"


@pytest.fixture
def member(redeeming_member: Shop) -> Shop:
    """John with 1012 points."""
    return redeeming_member


def signed(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs signed by Shopify's documented rule: sorted by name, repeated values joined with commas."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    message = "".join(f"{name}={','.join(values)}" for name, values in sorted(grouped.items()))
    return [*pairs, ("signature", hmac.new(SHOPIFY_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest())]


def base_pairs(shop: Shop) -> list[tuple[str, str]]:
    return [("shop", shop.domain), ("path_prefix", "/apps/sadakat"), ("timestamp", str(int(time.time())))]


def test_a_parameter_name_holding_equals_cannot_re_split_the_signature(client: FlaskClient, member: Shop) -> None:
    # Signed for customer 501, with a name that, re-split, would read "logged_in_customer_id=<John>".
    pairs = signed([*base_pairs(member), ("a=xlogged_in_customer_id", JOHN), ("logged_in_customer_id", "501")])
    response = client.get("/proxy/balance", query_string=pairs)
    assert response.status_code == 401
    assert "parameter names" in response.get_json()["error"]


def test_a_repeated_customer_parameter_is_refused(client: FlaskClient, member: Shop) -> None:
    pairs = signed([*base_pairs(member), ("logged_in_customer_id", JOHN), ("logged_in_customer_id", "501")])
    response = client.get("/proxy/balance", query_string=pairs)
    assert response.status_code == 401
    assert "repeats logged_in_customer_id" in response.get_json()["error"]


def test_a_proxy_redemption_needs_a_key_and_one_signed_url_redeems_once(client: FlaskClient, member: Shop) -> None:
    query = proxy_query(member)
    missing = client.post("/proxy/redeem", query_string=query, json={"points": 500})
    assert missing.status_code == 400 and "key is required" in missing.get_json()["error"]
    first = client.post("/proxy/redeem", query_string=query, json={"points": 500, "key": "a"})
    retry = client.post("/proxy/redeem", query_string=query, json={"points": 500, "key": "a"})
    other = client.post("/proxy/redeem", query_string=query, json={"points": 500, "key": "b"})
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 409)
    assert retry.get_json()["code"] == first.get_json()["code"]
    assert "already used" in other.get_json()["error"]
    assert customer_json(client, member, JOHN)["points"] == 512


@pytest.mark.parametrize(
    "points",
    ["\u00b2", "\u0665\u0660\u0660", "\uff15\uff10\uff10", "9" * 5000, 10**30, "1e3", " ", None, [100], {"n": 1}],
)
def test_points_must_be_ascii_digits_within_a_bound(client: FlaskClient, member: Shop, points: Any) -> None:
    response = client.post("/proxy/redeem", query_string=proxy_query(member), json={"points": points, "key": "k"})
    assert response.status_code == 400
    assert "points must be a whole number" in response.get_json()["error"]
    assert customer_json(client, member, JOHN)["points"] == 1012


def test_a_huge_balance_loads_at_once(client: FlaskClient, member: Shop, storage: Storage) -> None:
    with storage.session() as session:
        john = session.scalars(select(CustomerRecord).where(CustomerRecord.key == JOHN)).one()
        entries = [
            ledger.NewEntry(
                key=f"grant:{n}",
                kind="adjustment",
                points=ledger.MAX_POINTS_PER_ENTRY,
                source_type="adjustment",
                source_id=str(n),
                rule="test",
            )
            for n in range(100)
        ]
        grants = door.Step(
            session.get(Shop, member.id),
            lambda s, shop: door.Applied([ledger.append(s, shop.id, john.id, entry) for entry in entries]),
        )
        door.settle(session, grants)
    started = time.perf_counter()
    response = client.get("/proxy/balance", query_string=proxy_query(member))
    assert time.perf_counter() - started < 0.5
    view = response.get_json()
    assert view["points"] == 100 * 10**12 + 1012
    assert [o["points"] for o in view["rewards"]["options"]] == list(range(500, 1500, 100))


def test_an_order_past_the_amount_limit_fails_with_its_reason(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    money = {"amount": "1000000000.00", "currency_code": "USD"}
    huge = paid_shopify_order(
        id=9001, subtotal_price="1000000000.00", subtotal_price_set={"shop_money": money, "presentment_money": money}
    )
    assert post_shopify(client, member, "orders/paid", huge).status_code == 200
    drain(redis)
    with storage.session() as session:
        event = session.scalars(select(WebhookEvent).where(WebhookEvent.status == WebhookEvent.FAILED)).one()
        assert "over 100,000,000, the most Sadakat accepts" in (event.error or "")
    assert customer_json(client, member, JOHN)["points"] == 1012


def test_a_shop_domain_with_a_trailing_newline_is_a_400(client: FlaskClient) -> None:
    response = client.get("/shopify/install?shop=attacker.myshopify.com%0a/")
    assert response.status_code == 400
