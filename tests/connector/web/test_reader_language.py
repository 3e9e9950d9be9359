"""Which language a customer reads us in, in this order: what they chose on our page (remembered), the language
their store knows them in (Shopify's customer_locale, WPML's order meta), their browser's, the shop's. And
their e-mails follow their own language, whatever page they asked from."""

from __future__ import annotations

import re
import time

from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.ops.rewards import sign_in
from connector.ops.shops import change_settings
from tests.connector.web.test_rewards_page import ask_link, letter
from tests.support import (
    MailInbox,
    customer_json,
    drain,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
)

GERMAN_BROWSER = {"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"}


def woo_member_in(client: FlaskClient, shop: Shop, redis: Redis, storage: Storage, lang: str) -> str:
    """Customer 25, whose order the store placed in ``lang``; the store link that signs them in."""
    change_settings(storage, shop.id, {"locale": "tr"})
    order = fixture("woocommerce/order_created.json") | {"customer_id": 25}
    order["meta_data"] = [{"id": 1, "key": "wpml_language", "value": lang}]
    post_woo(client, shop, "order.created", order)
    drain(redis)
    with storage.session() as session:
        key = session.get(Shop, shop.id).customer_api_key  # type: ignore[union-attr]
    at = str(int(time.time()))
    return f"/rewards/{shop.handle}?customer=25&ts={at}&sig={sign_in.store_signature(key, shop.id, '25', at)}"


def page_language(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html)[1]  # type: ignore[index]


def test_a_visitor_reads_their_browsers_language_else_the_shops(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    change_settings(storage, woo_shop.id, {"locale": "tr"})
    page = f"/rewards/{woo_shop.handle}"
    german = client.get(page, headers=GERMAN_BROWSER).get_data(as_text=True)
    assert page_language(german) == "de" and "Prämien" in german
    assert page_language(client.get(page, headers={"Accept-Language": "it"}).get_data(as_text=True)) == "tr"
    chosen = client.get(page + "?lang=ar")
    arabic = chosen.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "المكافآت" in arabic
    assert "sadakat_reader_lang=ar" in chosen.headers.get("Set-Cookie", "")
    assert page_language(client.get(page, headers=GERMAN_BROWSER).get_data(as_text=True)) == "ar", "remembered"


def test_a_member_reads_the_language_their_store_knows_them_in_until_they_choose(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    link = woo_member_in(client, woo_shop, redis, storage, "fr")
    assert client.get(link, headers=GERMAN_BROWSER).status_code == 303
    page = client.get(f"/rewards/{woo_shop.handle}", headers=GERMAN_BROWSER).get_data(as_text=True)
    assert page_language(page) == "fr" and "Bonjour John" in page, "the member's language before the browser's"
    chosen = client.get(f"/rewards/{woo_shop.handle}?lang=es", headers=GERMAN_BROWSER).get_data(as_text=True)
    assert page_language(chosen) == "es" and "Hola, John" in chosen
    again = client.get(f"/rewards/{woo_shop.handle}", headers=GERMAN_BROWSER).get_data(as_text=True)
    assert page_language(again) == "es", "a choice made on our page is remembered, before the member's"


def test_an_email_goes_in_the_members_language_from_shopifys_customer_locale(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(storage, shopify_shop.id, {"sync_customers": False})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order() | {"customer_locale": "de-CH"})
    drain(redis)
    member = customer_json(client, shopify_shop, "john@example.com")
    assert member["points"] > 0
    ask_link(client, shopify_shop, "john@example.com")  # the page itself in English
    drain(redis)
    sent = letter(smtp.messages[-1])
    assert sent["Subject"] == f"Ihr Anmeldelink für die Prämien von {shopify_shop.domain}"
    body = sent.get_body(("plain",)).get_content()
    assert body.startswith("Hallo John,") and "Er funktioniert einmal, 15 Minuten lang." in body
    assert '<html lang="de" dir="ltr">' in sent.get_body(("html",)).get_content()


def test_the_survey_e_mail_and_its_page_are_in_the_customers_language(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    survey = {"enabled": True, "delay_days": 0, "points": 50}
    change_settings(storage, offline_shopify_shop.id, {"survey": survey, "locale": "en"})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order() | {"customer_locale": "es-MX"})
    delivered = fixture("shopify/fulfillments_create.json") | {
        "shipment_status": "delivered",
        "updated_at": utcnow().isoformat(),
    }
    post_shopify(client, offline_shopify_shop, "fulfillments/update", delivered)
    drain(redis)
    assert CliRunner().invoke(main, ["surveys", "send", "--shop", str(offline_shopify_shop.id)]).exit_code == 0
    drain(redis)
    sent = letter(smtp.messages[-1])
    assert sent["Subject"] == f"¿Qué tal tu pedido #9999 de {offline_shopify_shop.domain}?"
    text = sent.get_body(("plain",)).get_content()
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    page = client.get(links["9"], headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert page_language(page) == "es" and "Has elegido 9 de 10." in page
