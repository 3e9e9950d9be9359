"""WooCommerce's webhook payloads, read into the neutral model."""

import copy
from decimal import Decimal

import pytest

from adapters import get_adapter
from tests.support import fixture, sign

woo = get_adapter("woocommerce")


def test_sample_guest_order_is_credited_to_its_billing_email() -> None:
    order = woo.parse("order.created", fixture("woocommerce/order_created.json")).order
    assert order is not None
    assert order.id == "727"
    assert order.customer.id is None
    assert order.customer.key == "email:john.doe@example.com"


def test_merchandise_is_line_totals_without_shipping_or_tax() -> None:
    order = woo.parse("order.created", fixture("woocommerce/order_created.json")).order
    assert order is not None
    assert order.merchandise_amount == Decimal("18.00")
    assert order.total == Decimal("29.35")
    assert order.paid


@pytest.mark.parametrize(
    ("status", "paid", "cancelled", "refunded"),
    [
        ("pending", False, False, False),
        ("on-hold", False, False, False),
        ("processing", True, False, False),
        ("completed", True, False, False),
        ("cancelled", False, True, False),
        ("refunded", True, False, True),
    ],
)
def test_status_means(status: str, paid: bool, cancelled: bool, refunded: bool) -> None:
    payload = fixture("woocommerce/order_created.json") | {"status": status}
    order = woo.parse("order.updated", payload).order
    assert order is not None
    assert (order.paid, order.cancelled, order.fully_refunded) == (paid, cancelled, refunded)


def test_registered_customer_is_known_by_id() -> None:
    order = woo.parse("order.updated", fixture("woocommerce/order_created.json") | {"customer_id": 42}).order
    assert order is not None
    assert order.customer.key == "42"


def test_refund_total_is_split_by_the_orders_merchandise_share() -> None:
    payload = copy.deepcopy(fixture("woocommerce/order_created.json"))
    payload["refunds"] = [
        {"id": 730, "reason": "", "total": "-29.35"},
        {"id": 731, "reason": "", "total": "-5.87"},
    ]
    refunds = woo.parse("order.updated", payload).refunds
    assert [r.id for r in refunds] == ["730", "731"]
    assert refunds[0].merchandise_amount == Decimal("18.00")
    assert refunds[1].merchandise_amount == pytest.approx(Decimal("3.60"), abs=Decimal("0.0001"))


def test_deleted_order_carries_only_its_id() -> None:
    event = woo.parse("order.deleted", {"id": 727})
    assert event.order_gone is not None and event.order_gone.order_id == "727"


def test_creation_ping_is_recognised_and_unsigned() -> None:
    envelope = woo.read_envelope({}, b"webhook_id=31")
    assert envelope.is_ping and envelope.signature is None
    assert not woo.read_envelope({"X-WC-Webhook-Topic": "order.created"}, b"webhook_id=31").is_ping


def test_signature_is_base64_hmac_of_the_raw_body() -> None:
    body = b'{"id": 727}'
    assert woo.verify(body, sign(body, "s3cret"), ["s3cret"])
    assert not woo.verify(body, sign(body, "s3cret"), ["other"])


@pytest.mark.parametrize("raw", ["ftp://x.example", "https://user:pw@x.example", "x.example", "https://x.example/?a=1"])
def test_store_url_must_be_a_plain_web_address(raw: str) -> None:
    with pytest.raises(ValueError):
        woo.address(raw)


def test_store_url_keeps_its_subfolder() -> None:
    where = woo.address("https://Example.com/shop/")
    assert (where.domain, where.base_url) == ("example.com/shop", "https://example.com/shop")


@pytest.mark.parametrize(
    ("meta", "extra", "language"),
    [
        ([{"id": 1, "key": "wpml_language", "value": "de"}], {}, "de"),
        ([{"id": 1, "key": "_pll_language", "value": "fr_FR"}], {}, "fr-fr"),
        ([], {"lang": "es"}, "es"),
        ([{"id": 1, "key": "wpml_language", "value": "<script>"}], {}, None),
        ([], {}, None),
    ],
)
def test_the_orders_language_from_wpml_or_polylang_is_the_buyers(meta: list, extra: dict, language: str | None) -> None:
    payload = fixture("woocommerce/order_created.json") | {"customer_id": 42, "meta_data": meta} | extra
    assert woo.parse("order.created", payload).order.customer.locale == language
