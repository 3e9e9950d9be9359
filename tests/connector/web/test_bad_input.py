"""Bad input gets a clear 4xx or a recorded failure, never a 5xx, a retry loop or a lost event."""

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from tests.support import AUTH, customer_json, drain, paid_shopify_order, post_shopify, shopify_headers, sign


def statuses(storage: Storage) -> list[tuple[str, str | None]]:
    with storage.session() as session:
        return [(e.status, e.error) for e in session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))]


def test_shop_id_beyond_any_integer_is_404_not_503(client: FlaskClient) -> None:
    body = b"{}"
    response = client.post(f"/webhooks/woocommerce/{2**70}", data=body, headers={"X-WC-Webhook-Topic": "order.created"})
    assert response.status_code == 404 and response.is_json  # no shop can have that number
    zero = client.post("/webhooks/woocommerce/0", data=body, headers={"X-WC-Webhook-Topic": "order.created"})
    assert zero.status_code == 404
    assert client.get(f"/admin/api/shops/{2**70}/customers/1", headers=AUTH).status_code == 404


def test_control_characters_in_headers_are_400(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    body = json.dumps(paid_shopify_order()).encode()
    headers = shopify_headers(shopify_shop, "orders/paid", body, delivery_id="abc\x01def")
    response = client.post("/webhooks/shopify", data=body, headers=headers)
    assert response.status_code == 400
    assert "delivery id" in response.get_json()["error"]
    assert statuses(storage) == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"subtotal_price_set": {"shop_money": {"amount": "1e30", "currency_code": "USD"}}}, "amount"),
        ({"total_price_set": {"shop_money": {"amount": "-1e30", "currency_code": "USD"}}}, "amount"),
        ({"currency": "X" * 50, "subtotal_price_set": None, "subtotal_price": "10.00"}, "currency"),
    ],
)
def test_payload_the_database_cant_hold_fails_once_with_a_reason(
    change: dict, why: str, client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    assert post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(**change)).status_code == 200
    drain(redis)
    [(status, error)] = statuses(storage)
    assert status == "failed"
    assert why in (error or "")


def test_odd_but_harmless_text_is_cleaned_not_fatal(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = paid_shopify_order(name={"weird": True})
    order["customer"] |= {"first_name": "Jo\u0000hn", "last_name": "S" * 1000, "email": 42}
    post_shopify(client, shopify_shop, "orders/paid", order)
    drain(redis)
    assert [s for s, _ in statuses(storage)] == ["processed"]
    view = customer_json(client, shopify_shop, "115310627314723954")
    assert view["points"] == 404
    assert view["customer"]["first_name"] == "John"
    assert len(view["customer"]["last_name"]) == 255
    assert view["customer"]["email"] == "jon@example.com"  # the order's own e-mail stands in


def test_replayed_signature_on_a_changed_body_is_401(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    body = json.dumps(paid_shopify_order()).encode()
    signature = sign(body, "shopify-webhook-secret")
    other = json.dumps(paid_shopify_order(id=1)).encode()
    headers = shopify_headers(shopify_shop, "orders/paid", other) | {"X-Shopify-Hmac-Sha256": signature}
    assert client.post("/webhooks/shopify", data=other, headers=headers).status_code == 401
    assert statuses(storage) == []


def test_a_shop_number_is_parsed_once_by_the_url_and_no_view_checks_its_range(client: FlaskClient) -> None:
    for number in ("0", "-1", str(2**31), str(2**70)):
        answer = client.get(f"/admin/api/shops/{number}/settings", headers=AUTH)
        assert answer.status_code == 404 and answer.is_json, number
    connector = Path(__file__).resolve().parents[3] / "connector"
    guarded = [p.name for p in connector.rglob("*.py") if "0 < shop_id" in p.read_text()]
    assert guarded == [], "the range is the URL converter's (connector/web/shop_ids.py)"
