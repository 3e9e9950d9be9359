"""After delivery: the survey is due delay_days after a real shipment is delivered, goes out once through a
real SMTP server, one click records the score and its points once, and the NPS follows; an unhappy
answer or a parcel in trouble lands in the care queue, whose apology code reaches the store."""

from __future__ import annotations

import dataclasses
import email
import html
import json
import re
from datetime import timedelta
from email import policy
from typing import Any

import pytest
import responses
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update

from connector.cli import main
from connector.config import Config
from connector.db.after_delivery import CareItem, SurveyRecord, Unsubscribe
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Push, Shop, utcnow
from connector.ops.after_delivery.surveys import send_due
from connector.ops.shops import change_settings
from connector.queue.connection import event_queue
from tests.support import (
    AUTH,
    MailInbox,
    drain,
    fixture,
    form_csrf,
    login,
    paid_shopify_order,
    post_shopify,
    post_woo,
    sign,
)

NUMBER = "1z827wk74630"
API = "https://woo.example.com/wp-json/wc/v3"
SURVEY = {"enabled": True, "delay_days": 7, "points": 50}


def carrier(client: FlaskClient, shop: Shop, status: str, number: str = NUMBER) -> Any:
    body = json.dumps({"tracking_number": number, "status": status, "happened_at": "2026-11-20T10:00:00Z"}).encode()
    return client.post(
        f"/webhooks/carrier/{shop.id}",
        data=body,
        headers={"X-Sadakat-Signature": sign(body, shop.carrier_secret or "")},
    )


def woo_order_shipped(client: FlaskClient, shop: Shop, redis: Redis, **changes: Any) -> dict[str, Any]:
    order = fixture("woocommerce/order_created.json") | changes
    item = {"tracking_provider": "", "custom_tracking_provider": "Aras Kargo", "custom_tracking_link": "",
            "tracking_number": NUMBER, "date_shipped": "1763600000", "tracking_id": "a1"}  # fmt: skip
    order["meta_data"] = [*order["meta_data"], {"id": 9, "key": "_wc_shipment_tracking_items", "value": [item]}]
    post_woo(client, shop, "order.updated", order)
    drain(redis)
    return order


def quiet_store() -> None:
    """The WooCommerce calls a tracking update makes (a customer note; Shipment Tracking)."""
    responses.post(f"{API}/orders/727/notes", json={"id": 31, "customer_note": True}, status=201)


def mail_parts(message: Any) -> tuple[str, str, Any]:
    parsed = email.message_from_bytes(message.content, policy=policy.default)
    return (
        parsed.get_body(preferencelist=("plain",)).get_content(),
        parsed.get_body(preferencelist=("html",)).get_content(),
        parsed,
    )


def send_now(storage: Storage, redis: Redis, config: Config, **kw: Any) -> list[Any]:
    sent = send_due(storage, event_queue(redis), dataclasses.replace(config, smtp_url="smtp://set"), **kw)
    drain(redis)
    return sent


@pytest.fixture
def delivered(client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    change_settings(storage, woo_shop.id, {"survey": SURVEY})
    woo_order_shipped(client, woo_shop, redis)
    quiet_store()
    assert carrier(client, woo_shop, "delivered").status_code == 200
    drain(redis)
    return woo_shop


def test_the_survey_waits_delay_days_then_goes_out_once_with_eleven_links(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        survey = session.scalars(select(SurveyRecord)).one()
        assert (survey.order_id, survey.status) == ("727", "due")
    assert send_now(storage, redis, config, now=survey.delivered_at + timedelta(days=6)) == []
    [sent] = send_now(storage, redis, config, now=survey.delivered_at + timedelta(days=7, minutes=1))
    assert (sent.order, sent.to) == ("727", "john.doe@example.com")
    assert send_now(storage, redis, config, now=survey.delivered_at + timedelta(days=8)) == []
    [message] = smtp.messages
    assert message.rcpt_tos == ["john.doe@example.com"]
    text, html, parsed = mail_parts(message)
    assert parsed["Subject"] == "How was your order 727 from woo.example.com?"
    assert parsed["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/unsubscribe/")
    assert "Hello John," in text and "How likely are you to recommend woo.example.com to a friend?" in text
    links = re.findall(r"(\d+): (http://\S+)", text)
    assert [int(score) for score, _ in links] == list(range(11))
    html_links = re.findall(r'<a href="([^"]+/surveys/[^"]+)"[^>]*>(\d+)</a>', html)
    assert [int(score) for _, score in html_links] == list(range(11))
    assert [url.replace("&amp;", "&") for url, _ in html_links] == [url for _, url in links]


def send_answer(client: FlaskClient, link: str, comment: str = "") -> str:
    """Open the e-mail's link and press the page's one button (with a comment, if any), as a person does."""
    page = client.get(link).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    token = html.unescape(re.search(r'name="t" value="([^"]+)"', page).group(1))
    return client.post(action, data={"t": token, "comment": comment}).get_data(as_text=True)


def test_a_mail_scanner_opening_every_link_answers_nothing(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    for _, link in re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    with storage.session() as session:
        assert session.scalar(select(SurveyRecord.score)) is None
        assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "survey")).all() == []
        assert session.scalars(select(CareItem)).all() == []


def test_a_survey_pays_nothing_for_an_order_cancelled_before_the_answer_and_a_later_refund_takes_points_back(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    order = fixture("woocommerce/order_created.json")
    post_woo(client, delivered, "order.updated", order | {"status": "cancelled"})
    drain(redis)
    page = send_answer(client, links["10"])
    assert "You answered 10 out of 10." in page and "points have been added" not in page
    with storage.session() as session:
        assert session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "survey")).all() == []


def test_a_full_refund_after_the_answer_takes_the_survey_points_back_once(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    assert "50 points have been added to your balance." in send_answer(client, links["8"])
    order = fixture("woocommerce/order_created.json")
    post_woo(client, delivered, "order.updated", order | {"status": "refunded"})
    post_woo(client, delivered, "order.updated", order | {"status": "refunded"})
    drain(redis)
    with storage.session() as session:
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "survey").order_by(LedgerEntry.id))
        assert [(e.points, e.rule) for e in entries] == [
            (50, "answered_survey"),
            (-50, "order_cancelled_or_refunded"),
        ]


def test_one_click_records_the_score_and_the_points_once_and_the_nps_follows(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    first = client.get(links["9"])
    assert first.status_code == 200
    assert "You chose 9 out of 10. Send it to count it." in first.get_data(as_text=True)
    page = send_answer(client, links["9"])
    assert "You answered 9 out of 10." in page and "50 points have been added to your balance." in page
    assert "Your answer was already recorded: 9 out of 10." in client.get(links["9"]).get_data(as_text=True)
    again = client.get(links["3"]).get_data(as_text=True)
    assert "Your answer was already recorded: 9 out of 10." in again
    assert client.get(links["9"]).status_code == 200
    forged = client.get(links["9"].replace("/9?", "/10?"))
    assert forged.status_code == 404 and "This link is not valid" in forged.get_data(as_text=True)
    with storage.session() as session:
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "survey")).all()
    assert [(e.points, e.source_id) for e in entries] == [(50, "727")]
    nps = client.get(f"/admin/api/shops/{delivered.id}/metrics", headers=AUTH).get_json()["nps"]
    assert (nps["score"], nps["responses"], nps["promoters"], nps["detractors"]) == (100, 1, 1, 0)
    assert nps["response_rate"] == "1.0000"
    assert nps["by_tier"] == {"none": {"score": 100, "responses": 1, "promoters": 1, "passives": 0, "detractors": 0}}
    from tests.support import login

    assert login(client).status_code == 302
    shop_page = client.get(f"/admin/shops/{delivered.id}").get_data(as_text=True)
    groups = shop_page[shop_page.index('id="nps-groups"') :].split("</table>", 1)[0]
    assert "Tier: none" in groups and 'class="num">100</td>' in groups
    turkish = client.get(links["9"] + "&lang=tr").get_data(as_text=True)
    assert "Yanıtınız zaten kaydedilmişti: 10 üzerinden 9." in turkish


def test_a_detractor_lands_in_the_care_queue_with_the_comment_and_an_apology_code_reaches_the_store(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    assert client.post("/surveys/1/comment", data={"t": "forged", "comment": "x"}).status_code == 404
    said = send_answer(client, links["2"], "Box was crushed")
    assert "You answered 2 out of 10." in said and "Box was crushed" in said
    queue = client.get(f"/admin/api/shops/{delivered.id}/care", headers=AUTH).get_json()
    [item] = queue["items"]
    assert (item["kind"], item["survey"], queue["open"]) == ("detractor", {"score": 2, "comment": "Box was crushed"}, 1)
    assert item["customer"]["email"] == "john.doe@example.com" and item["order"]["id"] == "727"
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    sent = client.post(
        f"/admin/api/shops/{delivered.id}/care/{item['id']}/codes",
        json={"kind": "percentage", "value": "15", "days": 30},
        headers=AUTH,
    )
    assert sent.status_code == 202
    bad = client.post(
        f"/admin/api/shops/{delivered.id}/care/{item['id']}/codes",
        json={"kind": "percentage", "value": "150"},
        headers=AUTH,
    )
    assert bad.status_code == 400 and "percentage" in bad.get_json()["error"]
    drain(redis)
    created = [
        json.loads(c.request.body) for c in responses.calls if c.request.method == "POST" and "coupons" in c.request.url
    ]
    assert [(c["code"], c["discount_type"], c["amount"]) for c in created] == [
        (sent.get_json()["code"], "percent", "15")
    ]
    assert sent.get_json()["code"] in smtp.messages[-1].content.decode()
    with storage.session() as session:
        assert session.scalar(select(Push.status).where(Push.kind == "discount_code")) == "done"
    assert (
        client.post(
            f"/admin/api/shops/{delivered.id}/care/{item['id']}/notes", json={"text": "called"}, headers=AUTH
        ).status_code
        == 201
    )
    assert client.post(f"/admin/api/shops/{delivered.id}/care/{item['id']}/resolve", headers=AUTH).status_code == 200
    done = client.get(f"/admin/api/shops/{delivered.id}/care?status=resolved", headers=AUTH).get_json()["items"][0]
    assert [h["what"] for h in done["history"]] == ["code", "note", "resolved"]
    assert client.get(f"/admin/api/shops/{delivered.id}/care", headers=AUTH).get_json()["open"] == 0


@pytest.mark.parametrize("status", ["refunded", "cancelled"])
def test_a_refunded_or_cancelled_order_gets_no_survey(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, status: str
) -> None:
    change_settings(storage, woo_shop.id, {"survey": SURVEY | {"delay_days": 0}})
    woo_order_shipped(client, woo_shop, redis)
    quiet_store()
    carrier(client, woo_shop, "delivered")
    drain(redis)
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json") | {"status": status})
    drain(redis)
    [skipped] = send_now(storage, redis, config)
    assert skipped.skipped == "the order was cancelled or refunded in full"
    assert smtp.messages == []
    with storage.session() as session:
        assert session.scalar(select(SurveyRecord.status)) == "skipped"


def test_unsubscribing_from_the_link_stops_surveys(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    _, _, parsed = mail_parts(smtp.messages[0])
    link = parsed["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    ask = client.get(link)
    assert ask.status_code == 200 and "john.doe@example.com" in ask.get_data(as_text=True)
    assert client.get(link.replace("t=", "t=0")).status_code == 404
    done = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert "will get no more of these e-mails" in done.get_data(as_text=True)
    with storage.session() as session:
        assert session.scalars(select(Unsubscribe.email)).all() == ["john.doe@example.com"]
        session.execute(update(SurveyRecord).values(status="due", sent_at=None))
    [again] = send_now(storage, redis, config)
    assert again.skipped == "the customer unsubscribed"


def test_a_failed_delivery_opens_a_care_item_with_the_parcels_history(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    woo_order_shipped(client, woo_shop, redis)
    quiet_store()
    carrier(client, woo_shop, "in_transit")
    carrier(client, woo_shop, "failure")
    assert carrier(client, woo_shop, "failure").get_json()["status"] == "duplicate"  # one item, told once
    drain(redis)
    [item] = client.get(f"/admin/api/shops/{woo_shop.id}/care", headers=AUTH).get_json()["items"]
    assert item["kind"] == "delivery_failure"
    assert [e["status"] for e in item["parcel"]["events"] if e["service"] == "sadakat"] == ["in_transit", "failure"]
    assert item["order"]["id"] == "727" and item["customer"]["email"] == "john.doe@example.com"


def test_shopify_delivered_fulfillment_makes_the_survey_due_and_the_cli_sends_it(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, smtp: MailInbox
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"survey": SURVEY | {"delay_days": 0}, "locale": "tr"})
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order() | {"customer_locale": "tr"})
    delivered = fixture("shopify/fulfillments_create.json") | {
        "shipment_status": "delivered",
        "updated_at": utcnow().isoformat(),  # delivered just now (the sample's date is years old)
    }
    post_shopify(client, offline_shopify_shop, "fulfillments/update", delivered)
    drain(redis)
    result = CliRunner().invoke(main, ["surveys", "send", "--shop", str(offline_shopify_shop.id)])
    assert result.exit_code == 0, result.output
    assert "order #9999: sent to john@example.com" in result.output and "1 survey sent." in result.output
    drain(redis)
    [message] = smtp.messages
    text, _, parsed = mail_parts(message)
    assert parsed["Subject"] == "sadakat-test.myshopify.com siparişiniz #9999 nasıldı?"
    assert "Merhaba John," in text
    assert CliRunner().invoke(main, ["surveys", "send"]).output.strip() == "No survey is due."


def test_survey_settings_are_validated_and_turned_on_in_the_shop_page_form(client: FlaskClient, woo_shop: Shop) -> None:
    bad = client.put(f"/admin/api/shops/{woo_shop.id}/settings", json={"survey": {"delay_days": 99}}, headers=AUTH)
    assert bad.status_code == 400 and "survey.delay_days" in bad.get_json()["error"]
    good = client.put(f"/admin/api/shops/{woo_shop.id}/settings", json={"survey": SURVEY}, headers=AUTH)
    assert good.get_json()["survey"] == {"enabled": True, "delay_days": 7, "points": 50}


def test_a_customer_redaction_forgets_their_comment_care_notes_and_survey_mail(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox, client: FlaskClient
) -> None:
    from connector.model import Lifecycle
    from connector.settle import lifecycle

    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    send_now(storage, redis, config)
    text, _, _ = mail_parts(smtp.messages[0])
    links = dict(re.findall(r"(\d+): http://127.0.0.1:8000(\S+)", text))
    send_answer(client, links["0"], "I am John Doe")
    [item] = client.get(f"/admin/api/shops/{delivered.id}/care", headers=AUTH).get_json()["items"]
    client.post(f"/admin/api/shops/{delivered.id}/care/{item['id']}/notes", json={"text": "John's phone"}, headers=AUTH)
    with storage.session() as session:
        shop = session.get(Shop, delivered.id)
        assert lifecycle.redact_customer(session, shop, Lifecycle(kind="customer_redact", email="john.doe@example.com"))
    with storage.session() as session:
        survey = session.scalars(select(SurveyRecord)).one()
        assert (survey.score, survey.comment) == (0, None)
        care_item = session.scalars(select(CareItem)).one()
        assert (care_item.detail, care_item.history) == (None, [])
        mails = session.scalars(select(Push).where(Push.kind == "email")).all()
        assert mails and all(p.payload == {"redacted": True} for p in mails)
        assert "john.doe@example.com" not in str([p.target for p in mails])


def test_a_delay_item_lists_only_its_own_codes_and_closes_when_the_parcel_arrives(
    client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis
) -> None:
    gifts = [{"rule": "delivery_problem", "kind": "free_shipping", "days": 30}]
    change_settings(storage, woo_shop.id, {"gifts": gifts, "sync_customers": False})
    woo_order_shipped(client, woo_shop, redis)
    quiet_store()
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    carrier(client, woo_shop, "delayed")
    drain(redis)
    later = client.post(f"/admin/api/shops/{woo_shop.id}/customers/john.doe@example.com/codes",
                        json={"value": "5", "key": "unrelated", "days": 30}, headers=AUTH)  # fmt: skip
    assert later.status_code == 202
    [item] = client.get(f"/admin/api/shops/{woo_shop.id}/care", headers=AUTH).get_json()["items"]
    assert item["kind"] == "delivery_delayed"
    assert [c["reason"].split(":")[1] for c in item["codes"]] == ["delivery_problem"]  # not the one given later
    carrier(client, woo_shop, "delivered")
    drain(redis)
    queue = client.get(f"/admin/api/shops/{woo_shop.id}/care?status=all", headers=AUTH).get_json()
    [closed] = queue["items"]
    assert closed["status"] == "resolved" and queue["open"] == 0
    assert (closed["history"][-1]["what"], closed["history"][-1]["by"]) == ("resolved_delivered", "Sadakat")
    assert login(client).status_code == 302  # the page says it in the reader's words, with days in words
    page = client.get(f"/admin/shops/{woo_shop.id}/care?status=all", headers={"Accept-Language": "tr"})
    client.post("/admin/language", data={"lang": "tr", "csrf_token": form_csrf(page.get_data(as_text=True))})
    html = client.get(f"/admin/shops/{woo_shop.id}/care?status=all").get_data(as_text=True)
    assert "çözüldü: paket teslim edildi" in html and "özür kodu gönderildi" in html
    assert "the parcel was delivered" not in html and "apology code" not in html
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", html), "times as people write them"
    assert re.search(
        r"\d{1,2} (Ocak|Şubat|Mart|Nisan|Mayıs|Haziran|Temmuz|Ağustos|Eylül|Ekim|Kasım|Aralık) \d{4} \d\d:\d\d", html
    )


def test_a_shop_surveying_from_klaviyo_sends_no_survey_of_its_own(
    delivered: Shop, storage: Storage, redis: Redis, config: Config, smtp: MailInbox
) -> None:
    change_settings(storage, delivered.id, {"emails": {"survey": False}})
    with storage.session() as session:
        session.execute(update(SurveyRecord).values(delivered_at=utcnow() - timedelta(days=8)))
    [skipped] = send_now(storage, redis, config)
    assert skipped.skipped == "the shop turned Sadakat's survey e-mail off"
    assert smtp.messages == []
