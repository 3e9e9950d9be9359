"""Codes reach customers once the store has them: by e-mail, and as a note on the order that earned them."""

from __future__ import annotations

import json
from datetime import date

import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.ops import maintenance
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from tests.support import MailInbox, drain, fixture, paid_shopify_order, post_shopify, post_woo

API = "https://woo.example.com/wp-json/wc/v3"


def test_a_gift_code_is_emailed_and_noted_on_its_order_once_the_store_has_it(
    client: FlaskClient,
    woo_shop: Shop,
    storage: Storage,
    redis: Redis,
    smtp: MailInbox,
) -> None:
    change_settings(storage, woo_shop.id, {"locale": "tr", "gifts": [{"rule": "first_order", "value": "5.00"}]})
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    responses.post(f"{API}/orders/727/notes", json={"id": 31}, status=201)
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    with storage.session() as session:
        code = next(p.payload["code"] for p in session.scalars(select(Push).where(Push.kind == "discount_code")))
    methods = [c.request.method + " " + c.request.url.split("/wc/v3/")[1].split("?")[0] for c in responses.calls]
    assert methods == ["GET coupons", "POST coupons", "POST orders/727/notes"]  # the note only after the coupon
    note = json.loads(responses.calls[2].request.body)
    assert note["customer_note"] is True
    assert note["note"].startswith(f"woo.example.com size bir hediye gönderdi: {code} koduyla $5,00 indirim. Kodu ")
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["john.doe@example.com"] and code in mail.content.decode("utf-8", "replace")


def test_tier_members_get_a_free_shipping_code_each_month(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(
        storage, offline_shopify_shop.id, {"tiers": [{"name": "Gold", "min_spend": "0", "free_shipping_monthly": True}]}
    )
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    queue = event_queue(redis)
    assert maintenance.daily_gifts(storage, queue, date(2027, 1, 1)) == 1
    assert maintenance.daily_gifts(storage, queue, date(2027, 1, 2)) == 0
    assert maintenance.daily_gifts(storage, queue, date(2027, 2, 1)) == 1
    with storage.session() as session:
        codes = select(Push).where(Push.kind == "discount_code").order_by(Push.id)
        perks = [p.payload for p in session.scalars(codes)]
    assert [p["kind"] for p in perks] == ["free_shipping", "free_shipping"]
    assert perks[0]["reason"].endswith(":2027-01") and perks[1]["reason"].endswith(":2027-02")
