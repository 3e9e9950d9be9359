"""Every e-mail a customer receives shares one layout: the shop's name and colour, their first name, their
language, a link to the rewards page, plain text beside HTML; marketing carries List-Unsubscribe and is
not sent to an address that unsubscribed."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.config import Config
from connector.db.after_delivery import Unsubscribe
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.ops.shops import change_settings
from tests.support import MailInbox, drain, fixture, post_woo

API = "https://woo.example.com/wp-json/wc/v3"
TIERS = [{"name": "Altın", "min_spend": "10", "multiplier": "1.5", "free_shipping_monthly": True}]


def read(message: object) -> EmailMessage:
    return message_from_bytes(message.content, policy=policy.default)  # type: ignore[attr-defined,return-value]


def recent_order() -> dict:
    order = fixture("woocommerce/order_created.json")
    now = utcnow().replace(microsecond=0).isoformat().removesuffix("+00:00")
    return order | {"date_created_gmt": now, "date_paid_gmt": now}


def test_reaching_a_tier_is_told_in_the_shops_language_and_colour(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(
        storage, woo_shop.id, {"locale": "tr", "colour": "#7c2d12", "tiers": TIERS, "sync_customers": False}
    )
    post_woo(client, woo_shop, "order.created", recent_order())
    drain(redis)
    [sent] = smtp.messages
    mail = read(sent)
    assert mail["Subject"] == "woo.example.com Altın seviyesine hoş geldiniz"
    assert (
        mail["List-Unsubscribe"].startswith("<http") and f"/unsubscribe/{woo_shop.handle}?" in mail["List-Unsubscribe"]
    )
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Merhaba John,")
    assert "her sipariş 1,5 kat puan kazandırır" in text and "ayda bir ücretsiz kargo" in text
    assert f"/rewards/{woo_shop.handle}" in text
    html = mail.get_body(("html",)).get_content()
    assert 'lang="tr"' in html and "#7c2d12" in html and "Merhaba John," in html


def test_marketing_is_not_sent_to_an_address_that_unsubscribed(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(storage, woo_shop.id, {"tiers": TIERS, "sync_customers": False})
    with storage.session() as session:
        session.add(Unsubscribe(shop_id=woo_shop.id, email="john.doe@example.com"))
    post_woo(client, woo_shop, "order.created", recent_order())
    drain(redis)
    assert smtp.messages == []


def test_a_gift_is_marketing_and_a_redeemed_code_is_not(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(storage, woo_shop.id, {"gifts": [{"rule": "first_order", "value": "5.00"}], "earn_rate": "50"})
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    responses.post(f"{API}/orders/727/notes", json={"id": 31}, status=201)
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    [gift] = [read(m) for m in smtp.messages]
    assert gift["Subject"] == "A gift for you from woo.example.com" and "List-Unsubscribe" in gift
    body = gift.get_body(("plain",)).get_content()
    assert "Enter it at checkout." in body
    # the worth in the shop's money and the last day in words ("for 5." and "until 2027-01-06" before)
    assert re.search(
        r"use the code \S+ for \$5\.00 off\. It is yours to use once, until [A-Z][a-z]+ \d{1,2}, \d{4}\.", body
    )

    redeemed = client.post(
        f"/api/shops/{woo_shop.id}/customer/redeem",
        json={"customer": "john.doe@example.com", "points": 500, "key": "k"},
        headers={"Authorization": f"Bearer {woo_shop.customer_api_key}"},
    )
    assert redeemed.status_code == 201
    drain(redis)
    code = read(smtp.messages[-1])
    assert code["Subject"] == "A code for you from woo.example.com" and "List-Unsubscribe" not in code
    assert f"the code {redeemed.get_json()['code']}, worth $5.00 at woo.example.com" in code.get_body(
        ("plain",)
    ).get_content().replace("\n", " ")


def test_a_code_note_says_its_worth_and_last_day_in_the_shops_language() -> None:
    from connector.outbox import notices

    said = notices.code_message("tr", shop="Zeytin", code="C-1", kind="fixed_amount", value="10.00",
                                until="2027-03-08T00:00:00+00:00", why="gift", currency="TRY")  # fmt: skip
    assert (
        said == "Zeytin size bir hediye gönderdi: C-1 koduyla ₺10,00 indirim. Kodu 7 Mart 2027 tarihine kadar "
        "bir kez kullanabilirsiniz."
    )


def test_customer_e_mails_come_from_the_shops_name_and_address_with_its_reply_to(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, config: Config
) -> None:
    from connector.outbox import mail as local_mail
    from tests.support import login

    settings = {
        "shop_name": "Zeytin & Co",
        "sender_email": "rewards@zeytin.example",
        "reply_to": "hello@zeytin.example",
    }
    change_settings(storage, woo_shop.id, settings)
    page = client.get(f"/rewards/{woo_shop.handle}").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    post_woo(client, woo_shop, "customer.created", {"id": 25, "email": "ayse@example.com", "first_name": "Ayşe"})
    drain(redis)
    client.post(f"/rewards/{woo_shop.handle}/sign-in", data={"email": "ayse@example.com", "csrf": csrf})
    drain(redis)
    [kept] = [m for m in local_mail.kept_messages(config, limit=200) if "ayse@example.com" in m.to][:1]
    sent = message_from_bytes((local_mail.mailbox(config) / kept.name).read_bytes(), policy=policy.default)
    assert (sent["From"].addresses[0].display_name, sent["From"].addresses[0].addr_spec) == (
        "Zeytin & Co", "rewards@zeytin.example")  # fmt: skip
    assert str(sent["Reply-To"]) == "hello@zeytin.example" and len(sent.get_all("From")) == 1
    assert login(client).status_code == 302
    bad = client.put(f"/admin/api/shops/{woo_shop.id}/settings", json={"sender_email": "not an address"},
                     headers={"Authorization": "Bearer test-admin-token"})  # fmt: skip
    assert bad.status_code == 400 and "sender_email" in bad.get_json()["error"]
