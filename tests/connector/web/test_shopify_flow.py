"""Shopify Flow: Sadakat's triggers fire with flowTriggerReceive (validated against the Admin schema) for
shops whose workflows use them, and Flow's actions add points or set a tier, signed as Shopify signs them,
once per action_run_id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from graphql import build_schema, parse, validate
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.ops.shops import change_settings
from connector.outbox import deliveries, events
from tests.support import SHOPIFY_SCHEMA, SHOPIFY_SECRET, customer_json, drain, paid_shopify_order, post_shopify

EXTENSIONS = Path(__file__).resolve().parents[3] / "extensions"
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
JOHN = "115310627314723954"
TIERS = [
    {"name": "Bronze", "min_spend": "0"},
    {"name": "Silver", "min_spend": "300"},
    {"name": "Gold", "min_spend": "800"},
]
SCHEMA = build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)


def signed(body: dict[str, Any], secret: str = SHOPIFY_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    return raw, {"X-Shopify-Hmac-Sha256": digest, "Content-Type": "application/json"}


def action(
    handle: str, run_id: str, properties: dict[str, Any], domain: str = "sadakat-test.myshopify.com"
) -> dict[str, Any]:
    """An action request as Flow sends it."""
    return {
        "shop_id": 690933842,
        "shopify_domain": domain,
        "action_run_id": run_id,
        "action_definition_id": handle,
        "handle": handle,
        "properties": properties,
    }


def post(client: FlaskClient, path: str, body: dict[str, Any], secret: str = SHOPIFY_SECRET) -> Any:
    raw, headers = signed(body, secret)
    return client.post(path, data=raw, headers=headers)


def toml(name: str) -> dict[str, Any]:
    return tomllib.loads((EXTENSIONS / name / "shopify.extension.toml").read_text())


def test_the_extensions_declare_every_trigger_and_action_with_the_fields_sent() -> None:
    for type_, handle in events.FLOW_TRIGGERS.items():
        [extension] = toml(f"flow-{handle}")["extensions"]
        assert (extension["type"], extension["handle"]) == ("flow_trigger", handle)
        fields = toml(f"flow-{handle}")["settings"]["fields"]
        assert fields[0]["type"] == "customer_reference"
        declared = {f["key"] for f in fields[1:]}
        data = {"customer": {"id": JOHN}, "balance": 5, "reward": {}, "score": 3}
        sent = deliveries.flow_payload(type_, data)
        assert set(sent) - {"handle", "customer_id"} == declared, handle
    for handle in ("add-loyalty-points", "set-loyalty-tier"):
        [extension] = toml(f"flow-{handle}")["extensions"]
        assert extension["type"] == "flow_action" and extension["runtime_url"] == f"/shopify/flow/actions/{handle}"
    [callback] = toml("flow-trigger-lifecycle")["extensions"]
    assert callback["url"] == "/shopify/flow/lifecycle"


def test_a_trigger_fires_only_once_the_shops_workflows_use_it(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, shopify_shop.id, {"tiers": TIERS, "sync_customers": False})
    use = {"flow_trigger_definition_id": "loyalty-tier-changed", "has_enabled_flow": True,
           "shop_id": 690933842, "shopify_domain": shopify_shop.domain, "timestamp": utcnow().isoformat()}  # fmt: skip
    assert post(client, "/shopify/flow/lifecycle", use, "not-the-app-secret").status_code == 401
    unknown = post(client, "/shopify/flow/lifecycle", use | {"shopify_domain": "other.myshopify.com"})
    assert unknown.status_code == 404 and "not installed" in unknown.get_json()["error"]
    assert post(client, "/shopify/flow/lifecycle", use).status_code == 200
    responses.add(responses.POST, GRAPHQL, json={"data": {"flowTriggerReceive": {"userErrors": []}}})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(created_at=utcnow().isoformat()))
    drain(redis)
    fired = [json.loads(c.request.body) for c in responses.calls if c.request.url == GRAPHQL]
    fired = [f for f in fired if "flowTriggerReceive" in f["query"]]
    assert len(fired) == 1
    assert validate(SCHEMA, parse(fired[0]["query"])) == []
    assert fired[0]["variables"]["handle"] == "loyalty-tier-changed"
    payload = fired[0]["variables"]["payload"]
    assert payload == {"customer_id": int(JOHN), "Points balance": 404, "Tier before": "", "Tier after": "Silver",
                       "Direction": "up"}  # fmt: skip

    off = post(client, "/shopify/flow/lifecycle", use | {"has_enabled_flow": False})
    assert off.status_code == 200
    before = len(responses.calls)
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(id=2002, created_at=utcnow().isoformat()))
    drain(redis)
    assert customer_json(client, shopify_shop, JOHN)["tier"] == "Gold"  # moved again, with nobody's workflow using it
    assert not [c for c in responses.calls[before:] if b"flowTriggerReceive" in (c.request.body or b"")]


def test_add_points_runs_once_per_action_run_and_refuses_with_a_reason(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    path = "/shopify/flow/actions/add-loyalty-points"
    body = action("add-loyalty-points", "run-1", {"customer_id": f"gid://shopify/Customer/{JOHN}", "points": 50,
                                                  "reason": "Left a product review"})  # fmt: skip
    first = post(client, path, body)
    assert first.status_code == 200 and first.get_json()["balance"] == 404 + 50
    again = post(client, path, body)
    assert again.status_code == 200 and again.get_json()["repeated"] is True
    view = customer_json(client, offline_shopify_shop, JOHN)
    assert view["points"] == 454
    assert view["entries"][0]["note"] == "Left a product review"

    assert post(client, path, body, "not-the-app-secret").status_code == 401
    refusals = [
        (
            action("add-loyalty-points", "run-2", {"customer_id": "999", "points": 5, "reason": "x"}),
            404,
            "not a member",
        ),
        (
            action("add-loyalty-points", "run-3", {"customer_id": JOHN, "points": 5, "reason": "x"}, "x.myshopify.com"),
            404,
            "not installed",
        ),
        (action("add-loyalty-points", "run-4", {"customer_id": JOHN, "points": "lots", "reason": "x"}), 400, "points"),
        (
            action("add-loyalty-points", "run-5", {"customer_id": JOHN, "points": -10_000, "reason": "x"}),
            400,
            "below zero",
        ),
        ({"shopify_domain": "sadakat-test.myshopify.com", "properties": {}}, 400, "action_run_id is missing"),
    ]
    for request, status, reason in refusals:
        answer = post(client, path, request)
        assert answer.status_code == status and reason in answer.get_json()["error"], (request, answer.get_json())
    assert post(client, "/shopify/flow/actions/delete-everything", body).status_code == 404


def test_set_tier_until_a_date_keeps_the_member_there(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(created_at=utcnow().isoformat()))
    drain(redis)
    path = "/shopify/flow/actions/set-loyalty-tier"
    body = action("set-loyalty-tier", "run-9", {"customer_id": JOHN, "tier": "Gold", "until": "2099-12-31",
                                                "reason": "VIP from the pop-up event"})  # fmt: skip
    answer = post(client, path, body)
    assert answer.status_code == 200 and answer.get_json()["changed"] is True
    assert customer_json(client, offline_shopify_shop, JOHN)["tier"] == "Gold"
    from jobs.upkeep import recompute_tiers

    recompute_tiers()  # the nightly recompute: Silver by spend, but Gold is kept until its date
    assert customer_json(client, offline_shopify_shop, JOHN)["tier"] == "Gold"
    wrong = post(client, path, action("set-loyalty-tier", "run-10", {"customer_id": JOHN, "tier": "Platinum",
                                                                      "until": "2099-01-01"}))  # fmt: skip
    assert wrong.status_code == 400 and "no tier 'Platinum'" in wrong.get_json()["error"]
    late = post(
        client, path, action("set-loyalty-tier", "run-11", {"customer_id": JOHN, "tier": "Gold", "until": "soon"})
    )
    assert late.status_code == 400 and "until must be a date" in late.get_json()["error"]


@pytest.mark.parametrize("handle", sorted(events.FLOW_TRIGGERS.values()))
def test_trigger_handles_fit_shopifys_rules(handle: str) -> None:
    assert len(handle) <= 30 and handle.replace("-", "").isalnum()
