"""Shopify's webhook payloads, read into the neutral model."""

from decimal import Decimal

import pytest

from adapters import get_adapter
from adapters.base import PayloadError
from tests.support import fixture, paid_shopify_order, shopify_refund, sign

shopify = get_adapter("shopify")


def test_sample_order_keeps_ids_above_2_53_exact_as_strings() -> None:
    event = shopify.parse("orders/paid", paid_shopify_order())
    order = event.order
    assert order is not None
    assert order.id == "820982911946154508"
    assert order.customer.id == "115310627314723954"
    assert order.customer.email == "john@example.com"


def test_sample_order_money_is_shop_money_subtotal_after_discounts() -> None:
    order = shopify.parse("orders/paid", paid_shopify_order()).order
    assert order is not None
    assert order.merchandise_amount == Decimal("404.95")
    assert order.currency == "USD"
    assert order.paid and not order.cancelled


def test_shop_money_wins_over_presentment_money() -> None:
    payload = paid_shopify_order()
    payload["subtotal_price_set"] = {
        "shop_money": {"amount": "100.00", "currency_code": "TRY"},
        "presentment_money": {"amount": "3.10", "currency_code": "USD"},
    }
    order = shopify.parse("orders/paid", payload).order
    assert order is not None
    assert (order.merchandise_amount, order.currency) == (Decimal("100.00"), "TRY")


def test_tax_included_prices_count_without_their_tax() -> None:
    payload = paid_shopify_order(taxes_included=True)
    tax = {"price": "4.95", "price_set": {"shop_money": {"amount": "4.95", "currency_code": "USD"}}}
    payload["line_items"][0]["tax_lines"] = [tax]
    order = shopify.parse("orders/paid", payload).order
    assert order is not None
    assert order.merchandise_amount == Decimal("400.00")


def test_sample_as_published_is_a_cancelled_order() -> None:
    order = shopify.parse("orders/cancelled", fixture("shopify/orders_create.json")).order
    assert order is not None
    assert order.cancelled and not order.paid and order.test


def test_order_without_customer_is_a_guest_known_by_lower_cased_email() -> None:
    order = shopify.parse("orders/paid", paid_shopify_order(customer=None, email="Guest@Example.COM")).order
    assert order is not None
    assert order.customer.id is None
    assert order.customer.key == "email:guest@example.com"


def test_refund_counts_its_line_items_subtotals() -> None:
    refund = shopify.parse("refunds/create", shopify_refund(paid_shopify_order(), 5001, "89.99")).refunds[0]
    assert (refund.id, refund.order_id, refund.merchandise_amount) == (
        "5001",
        "820982911946154508",
        Decimal("89.99"),
    )


def test_amount_only_refund_leaves_out_the_shipping_it_returned() -> None:
    payload = shopify_refund(paid_shopify_order(), 5001, "30.00")
    payload["refund_line_items"] = []
    payload["order_adjustments"] = [
        {
            "id": 1,
            "kind": "shipping_refund",
            "amount": "-10.00",
            "amount_set": {"shop_money": {"amount": "-10.00"}},
        }
    ]
    assert shopify.parse("refunds/create", payload).refunds[0].merchandise_amount == Decimal("20.00")


def test_fulfillment_sample_becomes_a_shipment() -> None:
    shipment = shopify.parse("fulfillments/create", fixture("shopify/fulfillments_create.json")).shipments[0]
    assert shipment.id == "123456"
    assert shipment.order_id == "820982911946154508"
    assert (shipment.carrier, shipment.tracking_number) == ("UPS", "1z827wk74630")


def test_unreadable_money_is_a_payload_error_naming_the_field() -> None:
    payload = paid_shopify_order()
    payload["subtotal_price_set"]["shop_money"]["amount"] = "lots"
    with pytest.raises(PayloadError, match="amount"):
        shopify.parse("orders/paid", payload)


def test_signature_verifies_with_current_or_previous_secret_only() -> None:
    body = b'{"id": 1}'
    assert shopify.verify(body, sign(body, "new"), ["new", "old"])
    assert shopify.verify(body, sign(body, "old"), ["new", "old"])
    assert not shopify.verify(body, sign(body, "other"), ["new", "old"])
    assert not shopify.verify(body + b" ", sign(body, "new"), ["new"])
    assert not shopify.verify(body, None, ["new"])


@pytest.mark.parametrize(
    "raw", ["shop.example.com", "-x.myshopify.com", "a.myshopify.com.evil.com", "a b.myshopify.com", ""]
)
def test_only_myshopify_domains_are_shop_addresses(raw: str) -> None:
    with pytest.raises(ValueError, match="myshopify"):
        shopify.address(raw)


def test_shop_address_is_normalised() -> None:
    assert shopify.address("https://My-Shop.myshopify.com/").domain == "my-shop.myshopify.com"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil", "http:"])
def test_only_http_tracking_urls_are_kept(url: str) -> None:
    payload = fixture("shopify/fulfillments_create.json") | {"tracking_url": url, "tracking_urls": [url]}
    shipment = shopify.parse("fulfillments/create", payload).shipments[0]
    assert shipment.tracking_url is None
    assert shipment.tracking_number == fixture("shopify/fulfillments_create.json")["tracking_number"]


def test_the_orders_customer_locale_is_the_buyers_language() -> None:
    order = shopify.parse("orders/paid", paid_shopify_order() | {"customer_locale": "pt-BR"}).order
    assert order.customer.locale == "pt-br"
    guest = paid_shopify_order() | {"customer": None, "customer_locale": "ar"}
    assert shopify.parse("orders/paid", guest).order.customer.locale == "ar"
    assert shopify.parse("orders/paid", paid_shopify_order() | {"customer_locale": 42}).order.customer.locale is None
