"""Installing from a store: Shopify OAuth and WooCommerce's key exchange, tampering refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from adapters import get_adapter
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.ops.merchants import people
from connector.outbox import tokens
from tests.support import SHOPIFY_SECRET, drain

SHOP = "new-store.myshopify.com"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"
GRAPHQL = f"https://{SHOP}/admin/api/2026-01/graphql.json"
WOO = "https://woo-new.example.com"


def shopify_hmac(params: dict[str, str], secret: str = SHOPIFY_SECRET) -> str:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def start_shopify(client: FlaskClient, shop: str = SHOP) -> str:
    response = client.get(f"/shopify/install?shop={shop}")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", shop.lower(), "/admin/oauth/authorize")
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == "test-api-key"
    assert query["redirect_uri"] == "http://127.0.0.1:8000/shopify/callback"
    assert "write_discounts" in query["scope"]
    return query["state"]


def callback_params(state: str, **changes: Any) -> dict[str, str]:
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "host": "bmV3LXN0b3JlLm15c2hvcGlmeS5jb20vYWRtaW4",
        "shop": SHOP,
        "state": state,
        "timestamp": str(int(time.time())),
    } | changes
    return params | {"hmac": shopify_hmac(params)}


def grant_token(expires_in: int = 86399) -> None:
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "shpat_new_token",
            "scope": "read_orders,write_discounts",
            "expires_in": expires_in,
            "refresh_token": "shprt_refresh_1",
            "refresh_token_expires_in": 7776000,
        },
    )


def shops(storage: Storage) -> list[Shop]:
    with storage.session() as session:
        return list(session.scalars(select(Shop).order_by(Shop.id)))


def test_install_link_needs_a_real_shop_domain(client: FlaskClient) -> None:
    for bad in ("evil.com", "x.myshopify.com.evil.com", ""):
        response = client.get(f"/shopify/install?shop={bad}")
        assert response.status_code == 400
        assert "myshopify.com" in response.get_data(as_text=True)


def test_good_callback_stores_an_expiring_token_registers_webhooks_and_opens_the_app(
    client: FlaskClient, storage: Storage, redis: Redis
) -> None:
    state = start_shopify(client)
    grant_token()
    response = client.get("/shopify/callback", query_string=callback_params(state))
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://{SHOP}/admin/apps/test-api-key"
    exchange = json.loads(responses.calls[0].request.body)
    assert exchange == {
        "client_id": "test-api-key",
        "client_secret": SHOPIFY_SECRET,
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "expiring": 1,
    }
    [shop] = shops(storage)
    assert (shop.domain, shop.credentials["access_token"], shop.refresh_token) == (
        SHOP,
        "shpat_new_token",
        "shprt_refresh_1",
    )
    assert shop.credentials_expire_at > datetime.now(UTC) + timedelta(hours=23)

    uri = "http://127.0.0.1:8000/webhooks/shopify"
    responses.post(
        GRAPHQL,
        json={
            "data": {
                "webhookSubscriptions": {
                    "nodes": [{"id": "gid://shopify/WebhookSubscription/1", "topic": "ORDERS_PAID", "uri": uri}],
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                }
            }
        },
    )
    for n in range(6):
        responses.post(
            GRAPHQL,
            json={
                "data": {
                    "webhookSubscriptionCreate": {
                        "webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{n + 2}"},
                        "userErrors": [],
                    }
                }
            },
        )
    responses.post(GRAPHQL, json={"data": {"shop": {"currencyCode": "EUR", "email": "Owner@Sadakat-Test.example"}}})
    drain(redis)
    *creates_calls, currency_call = responses.calls[2:]
    creates = [json.loads(c.request.body)["variables"] for c in creates_calls]
    assert "currencyCode" in json.loads(currency_call.request.body)["query"]
    [shop] = shops(storage)
    assert (shop.currency, shop.currency_confirmed) == ("EUR", True), "the shop's currency, as Shopify says"
    owners = [(p.email, p.role) for p in people.people(storage, shop.id)]
    assert owners == [("owner@sadakat-test.example", "owner")], "the shop's owner, as Shopify says, signs in by e-mail"
    assert sorted(v["topic"] for v in creates) == sorted(
        [
            "ORDERS_CANCELLED",
            "REFUNDS_CREATE",
            "FULFILLMENTS_CREATE",
            "FULFILLMENTS_UPDATE",
            "FULFILLMENT_EVENTS_CREATE",
            "CUSTOMERS_CREATE",
            "APP_UNINSTALLED",
        ]
    )
    assert {v["subscription"]["uri"] for v in creates} == {uri}
    assert responses.calls[2].request.headers["X-Shopify-Access-Token"] == "shpat_new_token"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda p: p | {"code": "other"}, "hmac does not match"),
        (lambda p: p | {"hmac": "0" * 64}, "hmac does not match"),
        (lambda p: {k: v for k, v in p.items() if k != "hmac"}, "missing hmac"),
    ],
)
def test_tampered_callback_is_refused_and_stores_nothing(
    client: FlaskClient, storage: Storage, tamper: Any, reason: str
) -> None:
    state = start_shopify(client)
    response = client.get("/shopify/callback", query_string=tamper(callback_params(state)))
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert shops(storage) == [] and len(responses.calls) == 0


def test_expired_callback_is_refused(client: FlaskClient, storage: Storage) -> None:
    state = start_shopify(client)
    old = callback_params(state, timestamp=str(int(time.time()) - 3600))
    response = client.get("/shopify/callback", query_string=old)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert shops(storage) == []


def test_validly_signed_bad_domain_is_refused(client: FlaskClient, storage: Storage) -> None:
    state = start_shopify(client)
    response = client.get("/shopify/callback", query_string=callback_params(state, shop="evil.example.com"))
    assert response.status_code == 400 and "shop domain" in response.get_data(as_text=True)


def test_state_is_single_use_and_for_one_shop(client: FlaskClient, storage: Storage) -> None:
    state = start_shopify(client)
    grant_token()
    assert client.get("/shopify/callback", query_string=callback_params(state)).status_code == 302
    replay = client.get("/shopify/callback", query_string=callback_params(state))
    assert replay.status_code == 400 and "already used" in replay.get_data(as_text=True)
    other = start_shopify(client, "other-store.myshopify.com")
    response = client.get("/shopify/callback", query_string=callback_params(other))
    assert response.status_code == 400 and "another store" in response.get_data(as_text=True)
    unknown = client.get("/shopify/callback", query_string=callback_params("never-issued"))
    assert unknown.status_code == 400
    assert len(shops(storage)) == 1


def test_expiring_token_is_refreshed_once_even_by_two_workers_at_once(
    storage: Storage, config: Config, client: FlaskClient
) -> None:
    state = start_shopify(client)
    grant_token(expires_in=60)  # expires within the refresh margin
    client.get("/shopify/callback", query_string=callback_params(state))
    [shop] = shops(storage)
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "shpat_refreshed",
            "expires_in": 86399,
            "refresh_token": "shprt_refresh_2",
            "refresh_token_expires_in": 7776000,
        },
    )
    results: list[str] = []

    def worker() -> None:
        access = tokens.fresh_access(storage, shop.id, get_adapter("shopify"), config)
        results.append(str(access.credentials["access_token"]))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["shpat_refreshed", "shpat_refreshed"]
    refreshes = [json.loads(c.request.body) for c in responses.calls if c.request.url == TOKEN_URL][1:]
    assert refreshes == [
        {
            "client_id": "test-api-key",
            "client_secret": SHOPIFY_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": "shprt_refresh_1",
        }
    ]
    [shop] = shops(storage)
    assert (shop.credentials["access_token"], shop.refresh_token) == ("shpat_refreshed", "shprt_refresh_2")


def start_woo(client: FlaskClient) -> str:
    response = client.get(f"/woocommerce/connect?store_url={WOO}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{WOO}/wc-auth/v1/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert (query["app_name"], query["scope"]) == ("Sadakat", "read_write")
    assert query["callback_url"] == "http://127.0.0.1:8000/woocommerce/callback"
    assert query["return_url"] == "http://127.0.0.1:8000/woocommerce/return"
    return query["user_id"]


def woo_keys(state: str) -> dict[str, Any]:
    return {
        "key_id": 1,
        "user_id": state,
        "consumer_key": "ck_new",
        "consumer_secret": "cs_new",
        "key_permissions": "read_write",
    }


@pytest.mark.parametrize("url", ["http://woo.example.com", "https://user:pw@woo.example.com", "ftp://x", "nope"])
def test_connect_needs_a_plain_https_store_url(client: FlaskClient, url: str) -> None:
    assert client.get(f"/woocommerce/connect?store_url={url}").status_code == 400


def test_woocommerce_keys_are_checked_stored_and_webhooks_created(
    client: FlaskClient, storage: Storage, redis: Redis
) -> None:
    state = start_woo(client)
    responses.get(f"{WOO}/wp-json/wc/v3/webhooks", json=[])
    response = client.post("/woocommerce/callback", json=woo_keys(state))
    assert response.status_code == 200 and response.get_json()["status"] == "installed"
    [shop] = shops(storage)
    assert (shop.domain, shop.credentials["consumer_key"], shop.credentials["consumer_secret"]) == (
        "woo-new.example.com",
        "ck_new",
        "cs_new",
    )
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{shop.id}"
    responses.replace(
        responses.GET,
        f"{WOO}/wp-json/wc/v3/webhooks",
        json=[{"id": 40, "topic": "order.created", "delivery_url": delivery, "status": "disabled"}],
    )
    responses.post(f"{WOO}/wp-json/wc/v3/webhooks", json={"id": 41}, status=201)
    responses.put(f"{WOO}/wp-json/wc/v3/webhooks/40", json={"id": 40, "status": "active"})
    setting = {"label": "Currency", "type": "select", "value": "TRY"}  # the shape of WooCommerce's settings API
    responses.get(
        f"{WOO}/wp-json/wc/v3/settings/general/woocommerce_currency", json={"id": "woocommerce_currency"} | setting
    )
    sender = {
        "id": "woocommerce_email_from_address",
        "label": '"From" address',
        "type": "email",
        "value": "Ana@Woo.example",
    }
    responses.get(f"{WOO}/wp-json/wc/v3/settings/email/woocommerce_email_from_address", json=sender)
    drain(redis)
    assert [(p.email, p.role) for p in people.people(storage, shop.id)] == [("ana@woo.example", "owner")]
    created = [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]
    assert sorted(c["topic"] for c in created) == ["customer.created", "order.deleted", "order.updated"]
    assert {c["secret"] for c in created} == {shop.webhook_secret}
    assert {c["delivery_url"] for c in created} == {delivery}
    [enable] = [json.loads(c.request.body) for c in responses.calls if c.request.method == "PUT"]
    assert enable == {"status": "active"}
    with storage.session() as session:
        assert session.scalars(select(Push.status)).all() == ["done"]


def test_woocommerce_callback_with_a_wrong_state_stores_nothing(client: FlaskClient, storage: Storage) -> None:
    start_woo(client)
    response = client.post("/woocommerce/callback", json=woo_keys("forged-state"))
    assert response.status_code == 400
    assert shops(storage) == [] and len(responses.calls) == 0


def test_woocommerce_keys_that_dont_work_are_refused(client: FlaskClient, storage: Storage) -> None:
    state = start_woo(client)
    responses.get(
        f"{WOO}/wp-json/wc/v3/webhooks",
        status=401,
        json={
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        },
    )
    response = client.post("/woocommerce/callback", json=woo_keys(state))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "the store did not answer as a WooCommerce store" in page
    assert "cannot list resources" not in page and "401" not in page, "nothing of the far side's answer"
    assert shops(storage) == []


def test_merchant_comes_back_to_a_page_that_says_what_happened(client: FlaskClient) -> None:
    assert "Connected" in client.get("/woocommerce/return?success=1").get_data(as_text=True)
    assert "Not connected" in client.get("/woocommerce/return?success=0").get_data(as_text=True)
