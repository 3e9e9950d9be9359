"""Calls to WooCommerce's REST API (wc/v3): bodies as its docs describe, errors typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import responses
from responses import matchers

from adapters import get_adapter
from adapters.base import PermanentStoreError, RetryableStoreError, ShopAccess
from connector.model import CustomerSync, DiscountCode, TrackingPush
from tests.support import fixture

BASE = "https://woo.example.com"
API = f"{BASE}/wp-json/wc/v3"
TRACKING = f"{BASE}/wp-json/wc-shipment-tracking/v3"
SHOP = ShopAccess(
    shop_id=2,
    domain="woo.example.com",
    base_url=BASE,
    credentials={"consumer_key": "ck_test", "consumer_secret": "cs_test"},
)
woo = get_adapter("woocommerce")


def sent(call: Any) -> dict[str, Any]:
    assert call.request.headers["Authorization"].startswith("Basic ")  # consumer key over https
    return json.loads(call.request.body)


@responses.activate
def test_coupon_is_single_use_for_one_email() -> None:
    coupon = fixture("woocommerce/coupon_created.json")
    responses.post(f"{API}/coupons", json=coupon | {"id": 720}, status=201)
    discount = DiscountCode(
        code="SDK-ABCD2345EF",
        kind="fixed_amount",
        value=Decimal("5.00"),
        title="Sadakat gift",
        email="john.doe@example.com",
        ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert woo.create_discount_code(SHOP, discount) == "720"
    body = sent(responses.calls[0])
    assert body == {
        "code": "SDK-ABCD2345EF",
        "description": "Sadakat gift",
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "email_restrictions": ["john.doe@example.com"],
        "date_expires_gmt": "2027-01-01T00:00:00",
        "discount_type": "fixed_cart",
        "amount": "5.00",
    }


@responses.activate
def test_percentage_and_free_shipping_coupons() -> None:
    responses.post(f"{API}/coupons", json={"id": 1}, status=201)
    responses.post(f"{API}/coupons", json={"id": 2}, status=201)
    woo.create_discount_code(SHOP, DiscountCode(code="A", kind="percentage", value=Decimal(10), title="t"))
    woo.create_discount_code(SHOP, DiscountCode(code="B", kind="free_shipping", value=Decimal(0), title="t"))
    percent, shipping = (sent(c) for c in responses.calls)
    assert (percent["discount_type"], percent["amount"]) == ("percent", "10")
    assert (shipping["free_shipping"], shipping["amount"]) == (True, "0")


@responses.activate
def test_lookup_by_code() -> None:
    responses.get(
        f"{API}/coupons",
        match=[matchers.query_param_matcher({"code": "SDK-X"})],
        json=[fixture("woocommerce/coupon_created.json")],
    )
    responses.get(f"{API}/coupons", match=[matchers.query_param_matcher({"code": "SDK-Y"})], json=[])
    assert woo.find_discount_code(SHOP, "SDK-X") == str(fixture("woocommerce/coupon_created.json")["id"])
    assert woo.find_discount_code(SHOP, "SDK-Y") is None


@responses.activate
def test_refusal_is_permanent_with_woocommerces_message() -> None:
    error = {
        "code": "woocommerce_rest_coupon_code_already_exists",
        "message": "The coupon code already exists",
        "data": {"status": 400},
    }
    responses.post(f"{API}/coupons", json=error, status=400)
    with pytest.raises(PermanentStoreError, match="The coupon code already exists"):
        woo.create_discount_code(SHOP, DiscountCode(code="A", kind="percentage", value=Decimal(10), title="t"))


@pytest.mark.parametrize(("status", "headers", "wait"), [(429, {"Retry-After": "30"}, 30), (503, {}, 5)])
@responses.activate
def test_busy_store_is_retryable(status: int, headers: dict[str, str], wait: float) -> None:
    responses.put(f"{API}/customers/42", status=status, headers=headers, body="busy")
    with pytest.raises(RetryableStoreError) as caught:
        woo.sync_customer(SHOP, CustomerSync(customer_id="42", points=10))
    assert caught.value.wait_seconds == wait


def push(**changes: Any) -> TrackingPush:
    values: dict[str, Any] = {
        "order_id": "727",
        "shipment_id": "t1",
        "tracking_number": "1Z999",
        "carrier": "Aras Kargo",
        "tracking_url": "https://kargotakip.example/1Z999",
        "status": "delayed",
        "message": "Siparişiniz gecikiyor.",
    }
    return TrackingPush(**(values | changes))


@responses.activate
def test_status_change_is_a_customer_note() -> None:
    responses.post(f"{API}/orders/727/notes", json={"id": 281, "note": "x", "customer_note": True}, status=201)
    assert woo.push_tracking(SHOP, push()) == "281"
    assert sent(responses.calls[0]) == {"note": "Siparişiniz gecikiyor.", "customer_note": True}


@responses.activate
def test_new_tracking_goes_to_the_shipment_tracking_extension() -> None:
    responses.post(
        f"{TRACKING}/orders/727/shipment-trackings",
        status=201,
        json={"tracking_id": "7f1e", "tracking_number": "1Z999"},
    )
    assert woo.push_tracking(SHOP, push(status=None, details_changed=True)) == "7f1e"
    assert sent(responses.calls[0]) == {
        "tracking_number": "1Z999",
        "custom_tracking_provider": "Aras Kargo",
        "custom_tracking_link": "https://kargotakip.example/1Z999",
    }


@responses.activate
def test_without_the_extension_tracking_becomes_a_customer_note() -> None:
    responses.post(
        f"{TRACKING}/orders/727/shipment-trackings",
        status=404,
        json={
            "code": "rest_no_route",
            "message": "No route was found matching the URL and request method.",
            "data": {"status": 404},
        },
    )
    responses.post(f"{API}/orders/727/notes", json={"id": 282}, status=201)
    assert woo.push_tracking(SHOP, push(status=None, details_changed=True, message="Kargonuz: 1Z999")) == "282"
    assert sent(responses.calls[1])["customer_note"] is True


@responses.activate
def test_customer_meta_carries_points_and_tier() -> None:
    responses.put(f"{API}/customers/42", json={"id": 42})
    woo.sync_customer(SHOP, CustomerSync(customer_id="42", points=1250, tier="Gold"))
    assert sent(responses.calls[0]) == {
        "meta_data": [{"key": "sadakat_points", "value": "1250"}, {"key": "sadakat_tier", "value": "Gold"}]
    }
