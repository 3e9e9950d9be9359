"""Orders in another currency than the shop's earn at the rate the store recorded, or not at all, and the
admin sees why (a WooPayments-style store selling abroad)."""

from __future__ import annotations

import copy
from typing import Any

import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import change_settings
from tests.support import AUTH, customer_json, drain, fixture, post_woo

GUEST = "john.doe@example.com"


def woo_order(currency: str, merchandise: str, meta: list[dict[str, Any]] | None = None, **changes: Any) -> dict:
    """WooCommerce's sample order, paid, with one line of ``merchandise`` and no shipping or tax."""
    order = copy.deepcopy(fixture("woocommerce/order_created.json"))
    order["line_items"] = order["line_items"][:1]
    order["line_items"][0]["total"] = merchandise
    order.update(
        currency=currency,
        total=merchandise,
        shipping_total="0.00",
        total_tax="0.00",
        meta_data=order["meta_data"] + (meta or []),
        **changes,
    )
    return order


def wcpay(rate: str, default: str = "USD") -> list[dict[str, Any]]:
    """The order meta WooPayments Multi-Currency records: order-currency units per store-currency unit."""
    return [
        {"id": 1, "key": "_wcpay_multi_currency_order_exchange_rate", "value": rate},
        {"id": 2, "key": "_wcpay_multi_currency_order_default_currency", "value": default},
    ]


def shop_view(client: FlaskClient, shop: Shop) -> dict[str, Any]:
    [view] = [s for s in client.get("/admin/api/shops", headers=AUTH).get_json()["shops"] if s["id"] == shop.id]
    return view


def test_a_eur_order_with_the_woopayments_rate_earns_the_converted_points(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "USD", "sync_customers": False})
    post_woo(client, woo_shop, "order.updated", woo_order("EUR", "100.00", wcpay("0.80")))
    drain(redis)
    assert customer_json(client, woo_shop, GUEST)["points"] == 125, "100 EUR at 0.80 EUR per USD is 125.00 USD"


def test_a_refund_uses_the_rate_of_its_order(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "USD", "sync_customers": False})
    post_woo(client, woo_shop, "order.updated", woo_order("EUR", "100.00", wcpay("0.80")))
    refunded = woo_order("EUR", "100.00", wcpay("0.80"), refunds=[{"id": 70, "reason": "", "total": "-50.00"}])
    post_woo(client, woo_shop, "order.updated", refunded)
    drain(redis)
    entries = [(e["kind"], e["points"]) for e in customer_json(client, woo_shop, GUEST)["entries"]]
    assert entries == [("refund", -62), ("order", 125)]


def test_without_a_recorded_rate_the_order_earns_nothing_and_the_admin_sees_why(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "USD", "sync_customers": False})
    post_woo(client, woo_shop, "order.updated", woo_order("EUR", "100.00"))
    drain(redis)
    assert client.get(f"/admin/api/shops/{woo_shop.id}/customers/{GUEST}", headers=AUTH).status_code == 404
    [event] = client.get(f"/admin/api/shops/{woo_shop.id}/events?status=failed", headers=AUTH).get_json()["events"]
    assert event["error"].startswith("needs attention: order ")
    assert "is in EUR, the shop's currency is USD" in event["error"]


def test_a_rate_into_another_currency_is_not_used(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "USD", "sync_customers": False})
    post_woo(client, woo_shop, "order.updated", woo_order("EUR", "100.00", wcpay("0.80", default="GBP")))
    drain(redis)
    failed = client.get(f"/admin/api/shops/{woo_shop.id}/events?status=failed", headers=AUTH).get_json()["events"]
    assert len(failed) == 1


def test_an_unknown_currency_is_taken_from_the_first_order_unconfirmed_until_the_store_says(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"sync_customers": False})
    post_woo(client, woo_shop, "order.updated", woo_order("TRY", "100.00"))
    drain(redis)
    assert customer_json(client, woo_shop, GUEST)["points"] == 100
    view = shop_view(client, woo_shop)
    assert (view["currency"], view["currency_confirmed"]) == ("TRY", False)
    page = client.get(f"/admin/shops/{woo_shop.id}", headers=AUTH).get_data(as_text=True)
    assert "taken from the first order; the store has not confirmed it yet" in page

    # The hourly check asks the store; WooCommerce's general settings answer with its currency.
    api = "https://woo.example.com/wp-json/wc/v3"
    responses.get(f"{api}/webhooks", json=[])
    responses.post(f"{api}/webhooks", json={"id": 1}, status=201)
    responses.get(f"{api}/orders", json=[])
    responses.get(
        f"{api}/settings/general/woocommerce_currency",
        json={"id": "woocommerce_currency", "label": "Currency", "type": "select", "value": "TRY"},
    )
    from connector.config import Config
    from connector.ops.maintenance import check_store
    from connector.queue.connection import event_queue

    check_store(storage, event_queue(redis), Config.from_env(), woo_shop.id)
    drain(redis)
    view = shop_view(client, woo_shop)
    assert (view["currency"], view["currency_confirmed"]) == ("TRY", True)
