"""The backend of Shopify's customer account and thank-you extensions, authenticated only by Shopify's
session token: a valid token is the member; a wrong signature, another app's ``aud``, a shop not installed,
an expired or not yet valid token, ``alg: none``, and customer A asking for customer B's order reveal
nothing."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.support import SHOPIFY_SECRET, drain, paid_shopify_order, post_shopify

JOHN = "115310627314723954"
ORIGIN = "https://extensions.shopifycdn.com"


def token(shop: str = "sadakat-test.myshopify.com", customer: str | None = JOHN, **changes: Any) -> str:
    """A session token as Shopify signs it for a customer account extension."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": "test-api-key",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": "f8912129-1af6-4cad-9ca3-76b0f7621087",
    } | ({"sub": f"gid://shopify/Customer/{customer}"} if customer else {})
    secret = changes.pop("secret", SHOPIFY_SECRET)
    return jwt.encode(claims | changes, secret, algorithm="HS256")


def call(client: FlaskClient, path: str, bearer: str, method: str = "GET", **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {bearer}", "Origin": ORIGIN}
    return client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def member(client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    change_settings(storage, offline_shopify_shop.id, {"earn_rate": "2", "referrals": {"enabled": True}})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=1001, name="#1001"))
    drain(redis)
    return offline_shopify_shop


def test_a_valid_token_is_the_member_and_the_answer_carries_cors_for_extensions(
    client: FlaskClient, member: Shop
) -> None:
    answer = call(client, "/api/customer-account/rewards", token())
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["points"] == 809 and body["member"]["points"] == 809
    assert body["referral_url"].startswith(f"http://127.0.0.1:8000/r/{member.handle}/")
    assert body["programme"]["earn"][0].startswith("Earn 2 points")
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN and "Set-Cookie" not in answer.headers
    preflight = client.options("/api/customer-account/rewards", headers={"Origin": ORIGIN})
    assert preflight.status_code in (200, 204) and "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = client.get("/api/customer-account/rewards", headers={"Origin": "https://evil.example",
                                                                 "Authorization": f"Bearer {token()}"})  # fmt: skip
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_customer_with_no_record_yet_gets_the_programme_and_zero_points(client: FlaskClient, member: Shop) -> None:
    body = call(client, "/api/customer-account/rewards", token(customer="42")).get_json()
    assert (body["points"], body["member"]) == (0, None) and body["programme"]["earn"]


def forged_none() -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = jwt.decode(token(), options={"verify_signature": False})
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "bad",
    [
        lambda: token(secret="not-the-app-secret"),
        lambda: token(aud="another-apps-client-id"),
        lambda: token(shop="not-installed.myshopify.com"),
        lambda: token(exp=int(time.time()) - 60),
        lambda: token(nbf=int(time.time()) + 60),
        forged_none,
        lambda: "not a token",
        lambda: token(customer=None),
    ],
    ids=[
        "wrong signature",
        "other app",
        "shop not installed",
        "expired",
        "not yet valid",
        "alg none",
        "garbage",
        "no customer",
    ],
)
def test_anything_but_a_valid_token_is_a_401_that_reveals_nothing(client: FlaskClient, member: Shop, bad: Any) -> None:
    for path, method in [
        ("/api/customer-account/rewards", "GET"),
        ("/api/customer-account/redeem", "POST"),
        ("/api/customer-account/orders/1001/points", "GET"),
    ]:
        answer = call(client, path, bad(), method=method, json={"points": 500, "key": "k"})
        assert (answer.status_code, answer.get_json()) == (401, {"error": "a valid Shopify session token is required"})


def test_an_orders_points_for_its_customer_only(client: FlaskClient, member: Shop) -> None:
    mine = call(client, "/api/customer-account/orders/gid://shopify/Order/1001/points", token()).get_json()
    assert mine == {"points": 809, "status": "earned"}
    theirs = call(client, "/api/customer-account/orders/1001/points", token(customer="42"))
    assert theirs.status_code == 404 and theirs.get_json() == {"error": "no such order"}
    unknown = call(client, "/api/customer-account/orders/999/points", token()).get_json()
    assert unknown == {"points": 0, "status": "pending"}


def test_redeeming_from_the_customer_account(client: FlaskClient, member: Shop) -> None:
    graphql = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
    responses.post(graphql, json={"data": {"codeDiscountNodeByCode": None}})
    done = call(client, "/api/customer-account/redeem", token(), method="POST", json={"points": 500, "key": "a1"})
    assert done.status_code == 201 and done.get_json()["code"].startswith("SDK-")
    again = call(client, "/api/customer-account/redeem", token(), method="POST", json={"points": 500, "key": "a1"})
    assert again.status_code == 200 and again.get_json()["code"] == done.get_json()["code"]
    broke = call(client, "/api/customer-account/redeem", token(), method="POST", json={"points": 500, "key": "a2"})
    assert broke.status_code == 400 and "not enough points" in broke.get_json()["error"]


def test_the_thank_you_page_says_what_the_order_earns_for_a_member_and_a_guest(
    client: FlaskClient, member: Shop, redis: Redis
) -> None:
    earned = call(client, "/api/checkout/points?order=gid://shopify/Order/1001", token()).get_json()
    assert (earned["points"], earned["guest"]) == (809, False)
    as_guest = paid_shopify_order(id=2002, name="#2002", customer=None, email="guest@example.com")
    post_shopify(client, member, "orders/paid", as_guest)
    drain(redis)
    guest = call(client, "/api/checkout/points?order=gid://shopify/Order/2002", token(customer=None)).get_json()
    assert guest["guest"] is True and guest["points"] == 809
    waiting = call(client, "/api/checkout/points?order=gid://shopify/Order/5", token()).get_json()
    assert waiting == {"points": None, "status": "pending", "guest": False}
    other = call(client, "/api/checkout/points?order=gid://shopify/Order/1001", token(customer="42"))
    assert other.status_code == 404
