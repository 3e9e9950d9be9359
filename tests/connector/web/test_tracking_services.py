"""Tracking services' webhooks straight in: each documented sample, signed as its service signs, moves a real
shipment (from a Shopify fulfillment or a WooCommerce order) once; news for an unknown number waits."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import responses
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select, update

from connector.cli import main
from connector.db.storage import Storage
from connector.db.tables import CarrierConnection, Push, Shop, TrackingEvent, WebhookEvent, utcnow
from connector.ops.carriers import connect
from tests.adapters.test_tracking_services import SAMPLES, SECRET, signed
from tests.support import AUTH, drain, fixture, form_csrf, login, post_shopify, post_woo

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
WOO_NOTES = "https://woo.example.com/wp-json/wc/v3/orders/727/notes"
NUMBER = "1z827wk74630"  # the tracking number of Shopify's fulfillments/create sample
SHOPIFY_STATUS = {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED", "out_for_delivery": "OUT_FOR_DELIVERY"}


def sample_for(service: str, number: str) -> dict[str, Any]:
    """The service's documented sample, about ``number``."""
    payload = fixture(SAMPLES[service])
    if service == "aftership":
        payload["msg"]["tracking_number"] = number
    elif service == "easypost":
        payload["result"]["tracking_code"] = number
    elif service == "shippo":
        payload["data"]["tracking_number"] = number
    else:
        payload["data"]["number"] = number
    return payload


def post(client: FlaskClient, shop: Shop, service: str, payload: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers = signed(service, body, secret) | {"Content-Type": "application/json"}
    return client.post(f"/webhooks/carrier/{shop.id}/{service}", data=body, headers=headers)


def shopify_answers() -> None:
    """Shopify's documented answers to the tracking calls, whichever comes."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = json.loads(request.body)["query"]
        if "fulfillmentTrackingInfoUpdate" in query:
            data = {"fulfillmentTrackingInfoUpdate": {"fulfillment": {"id": "gid://shopify/Fulfillment/123456"}}}
        else:
            data = {"fulfillmentEventCreate": {"fulfillmentEvent": {"id": "gid://shopify/FulfillmentEvent/1"}}}
        for result in data.values():
            result["userErrors"] = []
        return 200, {}, json.dumps({"data": data})

    responses.add_callback(responses.POST, GRAPHQL, callback=answer)


def events_sent() -> list[str]:
    calls = [json.loads(c.request.body) for c in responses.calls if c.request.url == GRAPHQL]
    return [c["variables"]["event"]["status"] for c in calls if "fulfillmentEventCreate" in c["query"]]


def stored(storage: Storage) -> int:
    with storage.session() as session:
        return session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.topic.like("carrier/%"))
        )


@pytest.fixture
def shipped(client: FlaskClient, shopify_shop: Shop, redis: Redis, storage: Storage) -> Shop:
    post_shopify(client, shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    for service in SAMPLES:
        connect(storage, shopify_shop.id, service, SECRET, None)
    return shopify_shop


@pytest.mark.parametrize(
    ("service", "status"),
    [("aftership", "in_transit"), ("easypost", "delivered"), ("shippo", "in_transit"), ("17track", "in_transit")],
)
def test_each_services_sample_moves_the_real_shipment_once(
    client: FlaskClient, shipped: Shop, storage: Storage, redis: Redis, service: str, status: str
) -> None:
    shopify_answers()
    payload = sample_for(service, " 1Z827WK74630 ")  # the service writes the number its own way
    first = post(client, shipped, service, payload)
    again = post(client, shipped, service, payload)
    assert (first.status_code, first.get_json()["status"]) == (200, "accepted")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    drain(redis)
    post(client, shipped, service, payload)
    drain(redis)
    assert events_sent() == [SHOPIFY_STATUS[status]]
    with storage.session() as session:
        kinds = [p.payload["status"] for p in session.scalars(select(Push).where(Push.kind == "tracking"))]
    assert status in kinds and kinds.count(status) == 1
    shipment = client.get(f"/admin/api/shops/{shipped.id}/shipments/{NUMBER}", headers=AUTH).get_json()
    assert shipment["status"] == status
    assert shipment["matched"] is True
    assert [e["service"] for e in shipment["events"] if e["service"] == service] == [service]


def test_a_wrong_or_missing_signature_is_401_and_nothing_is_stored(
    client: FlaskClient, shipped: Shop, storage: Storage
) -> None:
    for service in SAMPLES:
        payload = sample_for(service, NUMBER)
        assert post(client, shipped, service, payload, secret="not-the-secret").status_code == 401
        body = json.dumps(payload).encode()
        assert client.post(f"/webhooks/carrier/{shipped.id}/{service}", data=body).status_code == 401
    assert stored(storage) == 0


def test_a_service_the_shop_did_not_connect_is_401_and_an_unknown_service_404(
    client: FlaskClient, shopify_shop: Shop
) -> None:
    assert post(client, shopify_shop, "aftership", sample_for("aftership", NUMBER)).status_code == 401
    unknown = client.post(f"/webhooks/carrier/{shopify_shop.id}/fedex", data=b"{}")
    assert unknown.status_code == 404
    assert "aftership, easypost, shippo, 17track" in unknown.get_json()["error"]


@pytest.mark.parametrize(
    ("service", "path", "named"),
    [
        ("aftership", ("msg", "tracking_number"), "msg.tracking_number"),
        ("easypost", ("result", "status"), "result.status"),
        ("shippo", ("data", "tracking_status"), "data.tracking_status.status"),
        ("17track", ("data", "number"), "data.number"),
    ],
)
def test_a_body_not_in_the_services_format_is_400_naming_what_is_missing(
    client: FlaskClient, shipped: Shop, storage: Storage, service: str, path: tuple[str, str], named: str
) -> None:
    payload = sample_for(service, NUMBER)
    del payload[path[0]][path[1]]
    answer = post(client, shipped, service, payload)
    assert answer.status_code == 400
    assert named in answer.get_json()["error"]
    not_json = b"<xml/>"
    assert (
        client.post(
            f"/webhooks/carrier/{shipped.id}/{service}", data=not_json, headers=signed(service, not_json)
        ).status_code
        == 400
    )
    assert stored(storage) == 0


def test_a_status_with_no_news_is_acknowledged_and_not_stored(
    client: FlaskClient, shipped: Shop, storage: Storage
) -> None:
    payload = sample_for("17track", NUMBER)
    payload["data"]["track_info"]["latest_status"] = {"status": "NotFound", "sub_status": "NotFound_Other"}
    answer = post(client, shipped, "17track", payload)
    assert (answer.status_code, answer.get_json()["status"]) == (200, "ignored")
    assert stored(storage) == 0


def test_news_for_an_unknown_number_is_202_unmatched_then_applied_when_the_woocommerce_order_ships(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    connect(storage, woo_shop.id, "aftership", SECRET, None)
    answer = post(client, woo_shop, "aftership", sample_for("aftership", "TR 1234 5678"))
    assert (answer.status_code, answer.get_json()["status"]) == (202, "unmatched")
    drain(redis)
    listed = client.get(f"/admin/api/shops/{woo_shop.id}/events?status=unmatched", headers=AUTH).get_json()
    assert [e["topic"] for e in listed["events"]] == ["carrier/aftership"]
    waiting = client.get(f"/admin/api/shops/{woo_shop.id}/shipments/tr12345678", headers=AUTH).get_json()
    assert (waiting["matched"], [e["applied"] for e in waiting["events"]]) == (False, [False])

    order = fixture("woocommerce/order_created.json")
    item = {"tracking_provider": "", "custom_tracking_provider": "UPS", "custom_tracking_link": "",
            "tracking_number": "tr12345678", "date_shipped": "1712700000", "tracking_id": "a1b2c3"}  # fmt: skip
    order["meta_data"].append({"id": 9, "key": "_wc_shipment_tracking_items", "value": [item]})
    responses.post(WOO_NOTES, json={"id": 281, "customer_note": True}, status=201)
    responses.post(
        "https://woo.example.com/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings",
        json={"tracking_id": "b2", "tracking_number": "tr12345678"},
        status=201,
    )
    post_woo(client, woo_shop, "order.updated", order)
    drain(redis)
    notes = [json.loads(c.request.body)["note"] for c in responses.calls if c.request.url == WOO_NOTES]
    assert any("is on its way" in note for note in notes)
    assert (
        client.get(f"/admin/api/shops/{woo_shop.id}/events?status=unmatched", headers=AUTH).get_json()["events"] == []
    )
    shipment = client.get(f"/admin/api/shops/{woo_shop.id}/shipments/TR12345678", headers=AUTH).get_json()
    assert (shipment["status"], shipment["matched"]) == ("in_transit", True)
    assert shipment["estimated_delivery_at"] == "2024-04-12T18:00:00+00:00"


def test_news_older_than_fourteen_days_is_not_applied_to_a_late_shipment(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    connect(storage, shopify_shop.id, "17track", SECRET, None)
    assert post(client, shopify_shop, "17track", sample_for("17track", NUMBER)).status_code == 202
    drain(redis)
    with storage.session() as session:
        session.execute(update(TrackingEvent).values(received_at=utcnow() - timedelta(days=15)))
    post_shopify(client, shopify_shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    drain(redis)
    with storage.session() as session:
        assert session.scalars(select(Push).where(Push.kind == "tracking")).all() == []
        assert session.scalar(select(WebhookEvent.status).where(WebhookEvent.topic == "carrier/17track")) == (
            "unmatched"
        )


def test_test_mode_news_is_applied_and_marked_as_a_test(client: FlaskClient, shipped: Shop, redis: Redis) -> None:
    shopify_answers()
    assert post(client, shipped, "easypost", sample_for("easypost", NUMBER)).status_code == 200
    drain(redis)
    shipment = client.get(f"/admin/api/shops/{shipped.id}/shipments/{NUMBER}", headers=AUTH).get_json()
    [news] = [e for e in shipment["events"] if e["service"] == "easypost"]
    assert (news["status"], news["test"], news["applied"]) == ("delivered", True, True)
    assert news["location"] == "CHARLESTON, SC"
    assert shipment["tracking_url"].startswith("https://track.easypost.com/")


def test_shippo_without_signing_takes_the_url_token_and_a_bad_signature_is_refused_even_with_it(
    client: FlaskClient, shopify_shop: Shop, storage: Storage
) -> None:
    connect(storage, shopify_shop.id, "shippo", None, "our-token-12345")
    body = json.dumps(sample_for("shippo", NUMBER)).encode()
    url = f"/webhooks/carrier/{shopify_shop.id}/shippo"
    assert client.post(url + "?token=our-token-12345", data=body).status_code == 202
    assert client.post(url + "?token=wrong-token-123", data=body).status_code == 401
    forged = signed("shippo", body, secret="not-the-key")
    assert client.post(url + "?token=our-token-12345", data=body, headers=forged).status_code == 401


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_the_cli_connects_a_service_and_lists_them(shopify_shop: Shop, storage: Storage) -> None:
    code, out = run("shops", "carrier", "add", str(shopify_shop.id), "aftership", "--secret", "as-secret-123")
    assert code == 0, out
    assert json.loads(out) == {
        "service": "aftership",
        "webhook_url": f"http://127.0.0.1:8000/webhooks/carrier/{shopify_shop.id}/aftership",
    }
    code, out = run("shops", "carrier", "add", str(shopify_shop.id), "shippo", "--token", "tok-abcdefgh")
    assert json.loads(out)["webhook_url"].endswith("/shippo?token=tok-abcdefgh")
    code, out = run("shops", "carrier", "list", str(shopify_shop.id))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["SERVICE", "CONNECTED", "WEBHOOK", "URL"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["aftership", "yes"],
        ["easypost", "no"],
        ["shippo", "yes"],
        ["17track", "no"],
    ]
    with storage.session() as session:
        secret = session.scalar(select(CarrierConnection.secret).where(CarrierConnection.service == "aftership"))
        raw = session.connection().exec_driver_sql("SELECT secret FROM carrier_connections").scalars().all()
    assert secret == "as-secret-123"
    assert "as-secret-123" not in str(raw)  # encrypted at rest


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["fedex", "--secret", "abcdefgh"], "service: unknown tracking service 'fedex'"),
        (["aftership"], "secret: AfterShip needs a secret"),
        (["aftership", "--secret", "short"], "secret: paste the secret"),
        (["easypost", "--secret", "abcdefgh", "--token", "abcdefgh"], "token: EasyPost signs every webhook"),
    ],
)
def test_the_cli_names_the_field_that_is_wrong(shopify_shop: Shop, args: list[str], says: str) -> None:
    code, out = run("shops", "carrier", "add", str(shopify_shop.id), *args)
    assert code != 0
    assert says in out
    assert run("shops", "carrier", "add", "999", "aftership", "--secret", "abcdefgh")[1].strip().endswith("no shop 999")


def test_the_admin_api_sets_and_shows_a_service(client: FlaskClient, shopify_shop: Shop) -> None:
    url = f"/admin/api/shops/{shopify_shop.id}/carriers"
    saved = client.put(url + "/17track", json={"secret": "api-key-17track"}, headers=AUTH)
    assert saved.status_code == 200
    assert saved.get_json()["connected"] is True
    assert "api-key-17track" not in saved.get_data(as_text=True)
    bad = client.put(url + "/17track", json={"secret": 42}, headers=AUTH)
    assert (bad.status_code, bad.get_json()["error"]) == (400, "secret must be text")
    listed = client.get(url, headers=AUTH).get_json()
    assert {row["service"]: row["connected"] for row in listed} == {
        "aftership": False,
        "easypost": False,
        "shippo": False,
        "17track": True,
    }
    assert client.get(f"/admin/api/shops/{shopify_shop.id}/shipments/nothing", headers=AUTH).status_code == 404


def test_the_shop_page_connects_a_service_and_shows_a_bad_secret_in_words(
    client: FlaskClient, shopify_shop: Shop, storage: Storage
) -> None:
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{shopify_shop.id}").get_data(as_text=True)
    assert f"/webhooks/carrier/{shopify_shop.id}/aftership" in page
    token = form_csrf(page)
    bad = client.post(f"/admin/shops/{shopify_shop.id}/carriers/aftership", data={"secret": "x", "csrf_token": token})
    assert bad.status_code == 400
    assert "Paste the webhook secret exactly as the service shows it" in bad.get_data(as_text=True)
    with storage.session() as session:
        assert session.scalars(select(CarrierConnection)).all() == []
    good = client.post(
        f"/admin/shops/{shopify_shop.id}/carriers/aftership", data={"secret": "as-secret-123", "csrf_token": token}
    )
    assert good.status_code == 302
    with storage.session() as session:
        assert session.scalar(select(CarrierConnection.service)) == "aftership"


WOO_NOTE_WORDS = {
    "in_transit": "is on its way",
    "delivered": "has been delivered",
}


@pytest.mark.parametrize(
    ("service", "status"),
    [("aftership", "in_transit"), ("easypost", "delivered"), ("shippo", "in_transit"), ("17track", "in_transit")],
)
def test_each_services_sample_moves_a_woocommerce_shipment_and_the_customer_gets_a_note(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, service: str, status: str
) -> None:
    connect(storage, woo_shop.id, service, SECRET, None)
    order = fixture("woocommerce/order_created.json")
    item = {"tracking_provider": "", "custom_tracking_provider": "UPS", "custom_tracking_link": "",
            "tracking_number": NUMBER, "date_shipped": "1712700000", "tracking_id": "a1b2c3"}  # fmt: skip
    order["meta_data"].append({"id": 9, "key": "_wc_shipment_tracking_items", "value": [item]})
    post_woo(client, woo_shop, "order.updated", order)
    drain(redis)
    responses.post(WOO_NOTES, json={"id": 281, "customer_note": True}, status=201)
    responses.post(
        "https://woo.example.com/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings",
        json={"tracking_id": "b2", "tracking_number": NUMBER},
        status=201,
    )
    payload = sample_for(service, NUMBER.upper())
    assert post(client, woo_shop, service, payload).status_code == 200
    assert post(client, woo_shop, service, payload).get_json()["status"] == "duplicate"
    drain(redis)
    notes = [json.loads(c.request.body)["note"] for c in responses.calls if c.request.url == WOO_NOTES]
    assert len([note for note in notes if WOO_NOTE_WORDS[status] in note]) == 1
    shipment = client.get(f"/admin/api/shops/{woo_shop.id}/shipments/{NUMBER}", headers=AUTH).get_json()
    assert shipment["status"] == status


def test_the_shop_page_lists_numbers_whose_news_found_no_shipment(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    connect(storage, shopify_shop.id, "17track", SECRET, None)
    assert post(client, shopify_shop, "17track", sample_for("17track", "RR123456789CN")).status_code == 202
    drain(redis)
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{shopify_shop.id}").get_data(as_text=True)
    unmatched = page[page.index('id="unmatched"') :].split("</p>", 1)[0]
    assert "RR123456789CN" in unmatched
    assert '<span class="pill unmatched">no such parcel yet 1</span>' in page
