"""Whenever the programme changes, Sadakat writes what the theme's product block needs into the shop
metafield ``sadakat.programme`` (push ``programme_metafield``: ``metafieldsSet`` on the shop), checked
against Shopify's Admin schema; a burst of changes is one call with the latest."""

from __future__ import annotations

import json
from typing import Any

import responses
from flask.testing import FlaskClient
from graphql import build_schema, parse, validate
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from tests.support import AUTH, SHOPIFY_SCHEMA, drain

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
SCHEMA = build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)


def test_a_programme_change_is_written_to_the_shop_metafield_the_theme_reads(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    sent: list[dict[str, Any]] = []

    def shopify(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        assert validate(SCHEMA, parse(body["query"])) == []
        sent.append(body)
        if "ShopId" in body["query"]:
            return 200, {}, json.dumps({"data": {"shop": {"id": "gid://shopify/Shop/548380009"}}})
        metafields = [{"id": "gid://shopify/Metafield/1"}]
        return 200, {}, json.dumps({"data": {"metafieldsSet": {"metafields": metafields, "userErrors": []}}})

    responses.add_callback(responses.POST, GRAPHQL, callback=shopify)
    url = f"/admin/api/shops/{offline_shopify_shop.id}/settings"
    client.put(url, json={"earn_rate": "2", "currency": "USD"}, headers=AUTH)
    client.put(url, json={"tiers": [{"name": "Gold", "min_spend": "500", "multiplier": "1.5"}]}, headers=AUTH)
    drain(redis)
    [metafield] = [b["variables"]["metafields"][0] for b in sent if "metafields" in b["variables"]]
    assert (metafield["ownerId"], metafield["namespace"], metafield["key"], metafield["type"]) == (
        "gid://shopify/Shop/548380009", "sadakat", "programme", "json")  # fmt: skip
    assert json.loads(metafield["value"]) == {
        "version": 1,
        "currency": "USD",
        "scale": 10_000_000_000,
        "rate": 200_000_000,
        "include_shipping": False,
        "include_tax": False,
        "tiers": [{"name": "Gold", "rate": 300_000_000}],
    }
    with storage.session() as session:
        kinds = session.scalars(select(Push.status).where(Push.kind == "programme_metafield")).all()
    assert kinds == ["done"]


def test_a_woocommerce_shop_has_no_theme_metafield(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    client.put(f"/admin/api/shops/{woo_shop.id}/settings", json={"earn_rate": "2"}, headers=AUTH)
    with storage.session() as session:
        assert session.scalars(select(Push).where(Push.kind == "programme_metafield")).all() == []
