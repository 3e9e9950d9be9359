"""No string makes a token-taking route fail: every route that takes a token, signature, timestamp or CSRF
value answers any string a 2xx/3xx or a clear 4xx, never a 5xx (property-based, with hypothesis). These
values are parsed in one place (connector/signed.py): ASCII only, bounded, compared as bytes."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.db.after_delivery import SurveyRecord
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop, utcnow
from connector.ops.shops import change_settings
from connector.settle.growth import referrals
from tests.reliability.test_bad_input_properties import assert_clear

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
tokens = st.one_of(
    any_text,
    st.just("é"),
    st.just("9" * 400),
    st.just("²³"),
    st.just("٣٣٣"),
    any_text.map(lambda s: f"{int(time.time())}.{s}"),
    st.just(f"{'9' * 400}.x"),
    st.builds(lambda: f"{int(time.time())}.é"),
)
header_tokens = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=120) | st.just(
    "t=" + "9" * 400 + ",v1=00"
)


class Places:
    """A shop with a member (signed in through the store's link), a survey and a referral link."""

    def __init__(self, shop: Shop, survey_id: int, referral: str) -> None:
        self.shop, self.survey_id, self.referral = shop, survey_id, referral


@pytest.fixture
def places(client: FlaskClient, woo_shop: Shop, storage: Storage) -> Iterator[Places]:
    change_settings(storage, woo_shop.id, {"referrals": {"enabled": True}})
    with storage.session() as session:
        shop = session.get(Shop, woo_shop.id)
        assert shop is not None
        member = CustomerRecord(shop_id=shop.id, key="25", platform_id="25", email="ayse@example.com", points=900)
        session.add(member)
        session.flush()
        survey = SurveyRecord(shop_id=shop.id, order_id="727", delivered_at=utcnow(), status="sent")
        session.add(survey)
        session.flush()
        code = referrals.link_code(session, shop, member)
        survey_id, api_key = survey.id, shop.customer_api_key or ""
    now = str(int(time.time()))
    sig = hmac.new(api_key.encode(), f"{woo_shop.id}:25:{now}".encode(), hashlib.sha256).hexdigest()
    entered = client.get(f"/rewards/{woo_shop.handle}", query_string={"customer": "25", "ts": now, "sig": sig})
    assert entered.status_code == 303  # signed in: the member routes below reach their CSRF checks
    yield Places(woo_shop, survey_id, f"/r/{woo_shop.handle}/{code}")


@SETTINGS
@given(value=tokens, other=tokens)
def test_customer_routes_answer_any_token_clearly(client: FlaskClient, places: Places, value: str, other: str) -> None:
    rewards = f"/rewards/{places.shop.handle}"
    survey = f"/surveys/{places.survey_id}"
    answers = [
        client.get(rewards, query_string={"customer": "25", "ts": value, "sig": other}),
        client.get(rewards, query_string={"customer": value, "ts": str(int(time.time())), "sig": other}),
        client.post(f"{rewards}/sign-in", data={"email": "a@example.com", "csrf": value}),
        client.get(f"{rewards}/enter", query_string={"t": value}),
        client.post(f"{rewards}/enter", data={"t": value, "csrf": other}),
        client.post(f"{rewards}/redeem", data={"points": "500", "csrf": value}),
        client.post(f"{rewards}/birthday", data={"birthday": "2000-01-01", "csrf": value}),
        client.get(f"/unsubscribe/{places.shop.handle}", query_string={"e": "ayse@example.com", "t": value}),
        client.post(f"/unsubscribe/{places.shop.handle}", query_string={"e": other, "t": value}),
        client.get(f"{survey}/7", query_string={"t": value}),
        client.post(f"{survey}/7", data={"t": value}),
        client.post(f"{survey}/comment", data={"t": value, "comment": other}),
        client.post(places.referral, data={"email": "friend@example.org", "t": value}),
    ]
    for answer in answers:
        assert_clear(answer)


@SETTINGS
@given(value=tokens, header=header_tokens)
def test_signed_requests_from_stores_and_services_answer_any_signature_clearly(
    client: FlaskClient, places: Places, offline_shopify_shop: Shop, value: str, header: str
) -> None:
    shop = places.shop
    answers = [
        client.post(f"/webhooks/carrier/{shop.id}/shippo", data=b"{}", headers={"Shippo-Auth-Signature": header}),
        client.post(f"/webhooks/carrier/{shop.id}", data=b"{}", headers={"X-Sadakat-Signature": header}),
        client.get(
            "/proxy",
            query_string={
                "shop": offline_shopify_shop.domain,
                "timestamp": value,
                "signature": value,
                "logged_in_customer_id": "1",
                "path_prefix": "/apps/sadakat",
            },
        ),
        client.get(
            "/shopify/callback",
            query_string={
                "shop": "sadakat-test.myshopify.com",
                "code": "x",
                "state": "y",
                "timestamp": value,
                "hmac": value,
                "host": "x",
            },
        ),
        client.get(
            f"/api/shops/{shop.id}/customer/balance",
            query_string={"customer": "25"},
            headers={"Authorization": f"Bearer {header}"},
        ),
        client.get("/admin/api/shops", headers={"Authorization": f"Bearer {header}"}),
        client.post("/admin/login", data={"password": "x", "csrf_token": value}),
    ]
    for answer in answers:
        assert_clear(answer)
