"""The care queue's other sources and its digest: an order that can't earn, a parcel late past its
estimate (checked hourly), and the hourly e-mail of new items to SADAKAT_CARE_EMAIL."""

from __future__ import annotations

import dataclasses
import email
import json
from datetime import timedelta
from email import policy

import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.ops.after_delivery.surveys import care_digest, flag_late_parcels
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from tests.support import AUTH, MailInbox, drain, fixture, post_woo, sign

NUMBER = "1z827wk74630"


def care(client: FlaskClient, shop: Shop) -> list[dict]:
    return client.get(f"/admin/api/shops/{shop.id}/care", headers=AUTH).get_json()["items"]


def test_an_order_in_a_currency_without_a_rate_opens_an_item_saying_why(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "EUR", "sync_customers": False})
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json"))
    drain(redis)
    [item] = care(client, woo_shop)
    assert item["kind"] == "no_points" and item["order"] is None
    assert "is in USD, the shop's currency is EUR" in item["detail"]


def test_a_parcel_a_day_past_its_estimate_is_flagged_once(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    order = fixture("woocommerce/order_created.json")
    item = {"tracking_provider": "", "custom_tracking_provider": "Aras", "custom_tracking_link": "",
            "tracking_number": NUMBER, "date_shipped": "1763600000", "tracking_id": "a1"}  # fmt: skip
    order["meta_data"] = [*order["meta_data"], {"id": 9, "key": "_wc_shipment_tracking_items", "value": [item]}]
    post_woo(client, woo_shop, "order.updated", order)
    drain(redis)
    responses.post("https://woo.example.com/wp-json/wc/v3/orders/727/notes", json={"id": 1}, status=201)
    eta = (utcnow() - timedelta(days=2)).isoformat()
    body = json.dumps({"tracking_number": NUMBER, "status": "in_transit", "estimated_delivery_at": eta}).encode()
    headers = {"X-Sadakat-Signature": sign(body, woo_shop.carrier_secret or "")}
    assert client.post(f"/webhooks/carrier/{woo_shop.id}", data=body, headers=headers).status_code == 200
    drain(redis)
    assert care(client, woo_shop) == []
    flag_late_parcels(storage)
    flag_late_parcels(storage)
    [late] = care(client, woo_shop)
    assert (late["kind"], late["order"]["id"], late["parcel"]["tracking_number"]) == ("delivery_late", "727", NUMBER)


def test_the_digest_lists_new_items_once_in_the_shops_language(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox
) -> None:
    change_settings(storage, woo_shop.id, {"currency": "EUR", "sync_customers": False, "locale": "tr"})
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json"))
    drain(redis)
    queue = event_queue(redis)
    assert care_digest(storage, queue, config) == 0  # no SADAKAT_CARE_EMAIL: no digest
    with_digest = dataclasses.replace(config, care_email="care@woo.example.com")
    assert care_digest(storage, queue, with_digest) == 1
    assert care_digest(storage, queue, with_digest) == 0
    drain(redis)
    [message] = smtp.messages
    assert message.rcpt_tos == ["care@woo.example.com"]
    parsed = email.message_from_bytes(message.content, policy=policy.default)
    assert parsed["Subject"] == "Destek kuyruğu: 1 yeni (woo.example.com)"
    text = parsed.get_content()
    assert text.startswith("woo.example.com destek kuyruğunda 1 yeni kayıt:")
    assert "- Bir sipariş puan kazanamadı:" in text and f"/admin/shops/{woo_shop.id}/care" in text
