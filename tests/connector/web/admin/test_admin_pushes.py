"""Admins give codes and look after pushes: through the JSON API and the CLI."""

from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis

from connector.cli import main
from connector.db.tables import Shop
from tests.support import AUTH, drain, fixture, paid_shopify_order, post_shopify, post_woo

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
JOHN = "115310627314723954"


@pytest.fixture
def member(client: FlaskClient, offline_shopify_shop: Shop, redis: Redis) -> Shop:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    return offline_shopify_shop


def codes_url(shop: Shop, who: str = JOHN) -> str:
    return f"/admin/api/shops/{shop.id}/customers/{who}/codes"


def test_admin_gives_a_code_and_the_store_gets_it(client: FlaskClient, member: Shop, redis: Redis) -> None:
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL,
        json={
            "data": {
                "discountCodeBasicCreate": {
                    "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/5"},
                    "userErrors": [],
                }
            }
        },
    )
    response = client.post(codes_url(member), json={"kind": "percentage", "value": 10, "days": 14}, headers=AUTH)
    assert response.status_code == 202
    code = response.get_json()["code"]
    drain(redis)
    sent = json.loads(responses.calls[1].request.body)["variables"]["discount"]
    assert (sent["code"], sent["customerGets"]["value"]) == (code, {"percentage": 0.1})
    pushes = client.get(f"/admin/api/shops/{member.id}/pushes", headers=AUTH).get_json()["pushes"]
    assert {p["kind"] for p in pushes} == {"discount_code", "email"}  # then e-mailed (to the local mailbox here)
    [push] = [p for p in pushes if p["kind"] == "discount_code"]
    assert (push["kind"], push["status"], push["code"]) == ("discount_code", "done", code)
    assert push["store_object_id"] == "gid://shopify/DiscountCodeNode/5"


def test_same_key_gives_the_same_code_once(client: FlaskClient, member: Shop) -> None:
    first = client.post(codes_url(member), json={"value": "5.00", "key": "apology-42"}, headers=AUTH).get_json()
    again = client.post(codes_url(member), json={"value": "5.00"}, headers=AUTH | {"Idempotency-Key": "apology-42"})
    assert again.get_json() == {"code": first["code"], "push_id": None, "repeated": True}
    assert len(client.get(f"/admin/api/shops/{member.id}/pushes", headers=AUTH).get_json()["pushes"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"kind": "bogus", "value": 5}, 400, "kind must be one of"),
        ({"kind": "percentage", "value": 150}, 400, "at most 100"),
        ({"kind": "fixed_amount", "value": "lots"}, 400, "must be a number"),
        ({"value": 5, "days": 0}, 400, "days must be"),
        ({"value": 5, "days": "soon"}, 400, "days must be"),
    ],
)
def test_bad_code_requests_are_refused_with_a_reason(
    client: FlaskClient, member: Shop, body: dict, status: int, reason: str
) -> None:
    response = client.post(codes_url(member), json=body, headers=AUTH)
    assert response.status_code == status
    assert reason in response.get_json()["error"]


def test_code_requests_need_auth_json_and_a_known_member(client: FlaskClient, member: Shop) -> None:
    assert client.post(codes_url(member), json={"value": 5}).status_code == 401
    assert client.post(codes_url(member), data="x", headers=AUTH).status_code == 400
    assert client.post(codes_url(member, "nobody@example.com"), json={"value": 5}, headers=AUTH).status_code == 404
    assert (
        client.post(f"/admin/api/shops/999/customers/{JOHN}/codes", json={"value": 5}, headers=AUTH).status_code == 404
    )


def test_failed_push_shows_the_stores_message_and_can_be_retried(
    client: FlaskClient, member: Shop, redis: Redis
) -> None:
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval for write_discounts scope."}
    )
    client.post(codes_url(member), json={"value": 5}, headers=AUTH)
    drain(redis)
    [failed] = client.get(f"/admin/api/shops/{member.id}/pushes?status=failed", headers=AUTH).get_json()["pushes"]
    assert "write_discounts" in failed["last_error"]

    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/6"}}})
    assert client.post(f"/admin/api/shops/{member.id}/pushes/{failed['id']}/retry", headers=AUTH).status_code == 202
    drain(redis)
    pushes = client.get(f"/admin/api/shops/{member.id}/pushes", headers=AUTH).get_json()["pushes"]
    [done] = [p for p in pushes if p["kind"] == "discount_code"]
    assert done["status"] == "done"
    again = client.post(f"/admin/api/shops/{member.id}/pushes/{failed['id']}/retry", headers=AUTH)
    assert (again.status_code, again.get_json()["error"]) == (409, f"push {failed['id']} is done, not failed")
    assert client.get(f"/admin/api/shops/{member.id}/pushes?status=weird", headers=AUTH).status_code == 400


def test_cli_gives_a_guest_a_code_bound_to_their_email(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    runner = CliRunner()
    result = runner.invoke(main, ["codes", "issue", str(woo_shop.id), "john.doe@example.com", "--free-shipping"])
    assert result.exit_code == 0, result.output
    code = json.loads(result.output)["code"]
    responses.get("https://woo.example.com/wp-json/wc/v3/coupons", json=[])
    responses.post("https://woo.example.com/wp-json/wc/v3/coupons", json={"id": 900}, status=201)
    drain(redis)
    coupon = json.loads(responses.calls[1].request.body)
    assert (coupon["code"], coupon["email_restrictions"], coupon["free_shipping"]) == (
        code,
        ["john.doe@example.com"],
        True,
    )
    listing = json.loads(runner.invoke(main, ["pushes", "list", str(woo_shop.id), "--json"]).output)
    assert [(p["code"], p["status"]) for p in listing if p["kind"] == "discount_code"] == [(code, "done")]
    both = runner.invoke(
        main, ["codes", "issue", str(woo_shop.id), "john.doe@example.com", "--amount", "5", "--percent", "5"]
    )
    assert both.exit_code == 2 and "exactly one" in both.output
    negative = runner.invoke(main, ["codes", "issue", str(woo_shop.id), "john.doe@example.com", "--amount", "-5"])
    assert negative.exit_code == 2 and "Invalid value for --amount" in negative.output
    too_long = runner.invoke(
        main, ["codes", "issue", str(woo_shop.id), "john.doe@example.com", "--percent", "5", "--days", "0"]
    )
    assert too_long.exit_code == 2 and "Invalid value for --days" in too_long.output
