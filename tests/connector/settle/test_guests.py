"""Guests' points join their account when one appears, and stay joined."""

from __future__ import annotations

import copy

from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.support import customer_json, drain, fixture, paid_shopify_order, post_shopify, post_woo, shopify_refund


def test_a_new_woocommerce_account_takes_over_its_guest_points(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"sync_customers": False})
    guest_order = fixture("woocommerce/order_created.json")
    post_woo(client, woo_shop, "order.created", guest_order)
    drain(redis)
    assert customer_json(client, woo_shop, "email:john.doe@example.com")["points"] == 18
    account = {"id": 25, "email": "John.Doe@example.com", "first_name": "John", "last_name": "Doe", "role": "customer"}
    for _ in range(2):  # a repeated delivery moves nothing twice
        post_woo(client, woo_shop, "customer.created", account)
        drain(redis)
    member = customer_json(client, woo_shop, "25")
    assert member["points"] == 18
    assert member["entries"][0]["rule"] == "guest_points_joined_account"
    assert customer_json(client, woo_shop, "email:john.doe@example.com")["points"] == 0
    assert customer_json(client, woo_shop, "john.doe@example.com")["customer"]["id"] == "25"  # e-mail finds the account

    later_guest = copy.deepcopy(guest_order) | {"id": 800, "number": "800"}
    post_woo(client, woo_shop, "order.created", later_guest)  # still checked out as a guest
    drain(redis)
    assert customer_json(client, woo_shop, "25")["points"] == 36
    post_woo(client, woo_shop, "order.updated", guest_order | {"status": "refunded"})  # a guest-era order refunded
    drain(redis)
    assert customer_json(client, woo_shop, "25")["points"] == 18


def test_a_later_order_with_an_account_joins_the_guest_points(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    guest = paid_shopify_order(id=3001, customer=None, email="john@example.com")
    post_shopify(client, offline_shopify_shop, "orders/paid", guest)
    drain(redis)
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert customer_json(client, offline_shopify_shop, "115310627314723954")["points"] == 808
    post_shopify(client, offline_shopify_shop, "refunds/create", shopify_refund(guest, 9001, "404.95"))
    drain(redis)
    assert customer_json(client, offline_shopify_shop, "115310627314723954")["points"] == 404
