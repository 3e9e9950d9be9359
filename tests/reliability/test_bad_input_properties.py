"""Whatever arrives, every public endpoint answers a 2xx or a clear 4xx, never a 5xx or a stack trace,
and nothing is stored unless the signature was valid (property-based, with hypothesis)."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from sqlalchemy import func, select

from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from tests.support import AUTH, WOO_SECRET, drain, sign

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
header_text = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=300)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
)


def stored(storage: Storage) -> int:
    with storage.session() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent)) or 0


def assert_clear(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert status < 500, f"{status}: {text[:300]}"
    assert "Traceback" not in text
    if status >= 400 and response.is_json:  # type: ignore[attr-defined]
        assert response.get_json()["error"]  # type: ignore[attr-defined]


@SETTINGS
@given(
    body=bodies,
    topic=header_text,
    signature=header_text,
    delivery=header_text,
    domain=header_text,
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
)
def test_unsigned_or_forged_webhooks_are_refused_and_never_stored(
    client: FlaskClient,
    offline_shopify_shop: Shop,
    woo_shop: Shop,
    storage: Storage,
    body: bytes,
    topic: str,
    signature: str,
    delivery: str,
    domain: str,
    content_type: str,
) -> None:
    before = stored(storage)
    headers = {
        "Content-Type": content_type,
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-Shop-Domain": domain,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-Delivery-ID": delivery,
        "X-Sadakat-Signature": signature,
    }
    for path in (
        "/webhooks/shopify",
        f"/webhooks/woocommerce/{woo_shop.id}",
        f"/webhooks/carrier/{woo_shop.id}",
        "/webhooks/nonsense",
    ):
        answer = client.post(path, data=body, headers=headers)
        assert_clear(answer)
        assert answer.status_code in (401, 404) or (answer.status_code == 200 and answer.get_json()["status"] == "ping")
    assert stored(storage) == before


@SETTINGS
@given(body=bodies, topic=st.sampled_from(["order.created", "order.updated", "order.deleted", "coupon.created"]))
def test_validly_signed_garbage_is_a_clear_400_or_stored_and_then_failed_never_a_crash(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, body: bytes, topic: str
) -> None:
    headers = {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sign(body, WOO_SECRET),
        "X-WC-Webhook-Source": "https://woo.example.com/",
    }
    answer = client.post(f"/webhooks/woocommerce/{woo_shop.id}", data=body, headers=headers)
    assert_clear(answer)
    assert answer.status_code in (200, 400)
    drain(redis)  # the worker reads it: a payload it can't use is recorded as failed, never retried forever
    with storage.session() as session:
        statuses = set(session.scalars(select(WebhookEvent.status)))
    assert statuses <= {"processed", "failed", "ignored"}


@SETTINGS
@given(
    params=st.dictionaries(st.sampled_from(["shop", "code", "hmac", "state", "timestamp", "host", "x"]), header_text)
)
def test_oauth_callback_with_any_parameters_is_a_clear_400(
    client: FlaskClient, storage: Storage, params: dict[str, str]
) -> None:
    with storage.session() as session:
        shops = session.scalar(select(func.count()).select_from(Shop))
    answer = client.get("/shopify/callback", query_string=params)
    assert_clear(answer)
    assert answer.status_code == 400
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(Shop)) == shops


@SETTINGS
@given(body=bodies, params=st.dictionaries(st.sampled_from(["state", "user_id", "x"]), header_text))
def test_wc_auth_callback_with_any_body_is_a_clear_400(
    client: FlaskClient, storage: Storage, body: bytes, params: dict[str, str]
) -> None:
    answer = client.post("/woocommerce/callback", data=body, query_string=params)
    assert_clear(answer)
    assert answer.status_code == 400


@SETTINGS
@given(
    path=st.sampled_from(["/proxy/balance", "/proxy/redeem", "/proxy/birthday"]),
    params=st.dictionaries(
        st.sampled_from(["shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature", "points"]),
        header_text,
    ),
)
def test_app_proxy_with_any_query_is_refused_clearly(
    client: FlaskClient, offline_shopify_shop: Shop, path: str, params: dict[str, str]
) -> None:
    for method in ("GET", "POST"):
        answer = client.open(path, method=method, query_string=params)
        assert_clear(answer)
        assert 400 <= answer.status_code < 500


def test_deeply_nested_json_to_any_json_endpoint_is_a_400(client: FlaskClient, woo_shop: Shop) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for path, headers in (
        (f"/admin/api/shops/{woo_shop.id}/settings", AUTH),
        (f"/api/shops/{woo_shop.id}/customers/1/redeem", {"Authorization": "Bearer wrong"}),
        ("/woocommerce/callback", {}),
    ):
        answer = client.open(
            path,
            method="PUT" if "settings" in path else "POST",
            data=deep,
            headers=headers | {"Content-Type": "application/json"},
        )
        assert_clear(answer)
        assert 400 <= answer.status_code < 500, path


def test_a_shop_domain_header_with_a_nul_is_an_unknown_shop(client: FlaskClient, storage: Storage) -> None:
    headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": "a\x00.myshopify.com"}
    answer = client.post("/webhooks/shopify", data=b"{}", headers=headers | {"X-Shopify-Hmac-Sha256": "x"})
    assert answer.status_code == 401
    assert stored(storage) == 0


any_text = st.text(max_size=300)
numbers_and_text = st.one_of(
    st.integers(min_value=-(2**90), max_value=2**90),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=30),
    st.just("9" * 5000),
)


@SETTINGS
@given(
    ident=any_text,
    body=st.dictionaries(
        st.sampled_from(["points", "key", "customer", "birthday", "x"]), numbers_and_text | json_values
    ),
    raw=bodies,
)
def test_customer_api_with_its_key_and_any_input_answers_clearly(
    client: FlaskClient, woo_shop: Shop, storage: Storage, ident: str, body: dict, raw: bytes
) -> None:
    with storage.session() as session:
        auth = {"Authorization": f"Bearer {session.get(Shop, woo_shop.id).customer_api_key}"}
    base = f"/api/shops/{woo_shop.id}"
    for answer in (
        client.get(f"{base}/customer/balance", query_string={"customer": ident}, headers=auth),
        client.post(f"{base}/customer/redeem", json=body, headers=auth),
        client.post(f"{base}/customer/birthday", json=body, headers=auth),
        client.post(f"{base}/customer/redeem", data=raw, headers=auth | {"Content-Type": "application/json"}),
    ):
        assert_clear(answer)


@SETTINGS
@given(
    settings_body=st.dictionaries(
        st.sampled_from(["earn_rate", "locale", "expiry_months", "redemption", "tiers", "gifts", "currency", "x"]),
        numbers_and_text | json_values,
    ),
    code_body=st.dictionaries(st.sampled_from(["kind", "value", "days", "key", "x"]), numbers_and_text),
    query=st.dictionaries(st.sampled_from(["status", "limit", "q"]), any_text),
    ident=any_text,
)
def test_admin_api_with_any_input_answers_clearly(
    client: FlaskClient, woo_shop: Shop, settings_body: dict, code_body: dict, query: dict, ident: str
) -> None:
    base = f"/admin/api/shops/{woo_shop.id}"
    for answer in (
        client.put(f"{base}/settings", json=settings_body, headers=AUTH),
        client.post(f"{base}/customers/john.doe@example.com/codes", json=code_body, headers=AUTH),
        client.get(f"{base}/events", query_string=query, headers=AUTH),
        client.get(f"{base}/customers/{ident}", headers=AUTH) if ident.strip("/") else client.get(base, headers=AUTH),
    ):
        assert_clear(answer)


@SETTINGS
@given(store_url=st.one_of(any_text, any_text.map(lambda t: "https://" + t)), shop=any_text)
def test_install_starts_with_any_address_answer_clearly(
    client: FlaskClient, redis: Redis, store_url: str, shop: str
) -> None:
    redis.delete(*redis.keys("sadakat:install-starts:*") or ["-"])  # the per-address limit is tested elsewhere
    assert_clear(client.get("/woocommerce/connect", query_string={"store_url": store_url}))
    assert_clear(client.get("/shopify/install", query_string={"shop": shop}))


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(["points", "key", "birthday", "x"]), numbers_and_text | json_values))
def test_signed_proxy_requests_with_any_body_answer_clearly(
    client: FlaskClient, offline_shopify_shop: Shop, body: dict
) -> None:
    from tests.support import proxy_query

    for path in ("/proxy/redeem", "/proxy/birthday", "/proxy/balance"):
        assert_clear(client.post(path, query_string=proxy_query(offline_shopify_shop), json=body))


@SETTINGS
@given(
    body=bodies,
    service=st.sampled_from(["aftership", "easypost", "shippo", "17track"]),
    signature=header_text,
    token=header_text,
)
def test_tracking_service_webhooks_forged_or_garbled_are_refused_or_clear_and_never_crash(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, body: bytes, service: str, signature: str,
    token: str,
) -> None:  # fmt: skip
    from connector.ops.carriers import connect
    from tests.adapters.test_tracking_services import SECRET, signed

    connect(storage, woo_shop.id, service, SECRET, "url-token-123" if service == "shippo" else None)
    before = stored(storage)
    forged = {
        "aftership-hmac-sha256": signature,
        "X-Hmac-Signature": signature,
        "Shippo-Auth-Signature": signature,
        "sign": signature,
    }
    answer = client.post(f"/webhooks/carrier/{woo_shop.id}/{service}", data=body, headers=forged)
    assert_clear(answer)
    assert answer.status_code == 401
    answer = client.post(f"/webhooks/carrier/{woo_shop.id}/shippo", query_string={"token": token}, data=body)
    assert_clear(answer)
    assert stored(storage) == before or token == "url-token-123"
    answer = client.post(f"/webhooks/carrier/{woo_shop.id}/{service}", data=body, headers=signed(service, body))
    assert_clear(answer)
    assert answer.status_code in (200, 202, 400)
    drain(redis)
    with storage.session() as session:
        statuses = set(session.scalars(select(WebhookEvent.status)))
    assert statuses <= {"processed", "unmatched", "failed"}
