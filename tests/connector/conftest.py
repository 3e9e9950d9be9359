"""Fixtures the connector's tests share."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.support import customer_json, drain, paid_shopify_order, post_shopify

JOHN = "115310627314723954"


@pytest.fixture
def redeeming_member(client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """A Shopify shop where John Smith has 1012 points (Shopify's sample order at 2.5 points per 1.00)."""
    change_settings(storage, shopify_shop.id, {"earn_rate": "2.5", "sync_customers": False})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["points"] == 1012
    return shopify_shop
