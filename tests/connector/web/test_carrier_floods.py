"""Parcel news can't flood a shop: a replayed signed body is one delivery whatever delivery id it is sent
with, bodies over 64 KB are refused, and news for unknown tracking numbers is capped per shop per day
(then counted, not kept, with one care item saying so). Made the way the attack was: real HTTP."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.db.after_delivery import CareItem
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from connector.ops.after_delivery import unmatched_news
from tests.support import AUTH, sign


def post_news(client: FlaskClient, shop: Shop, body: bytes, **headers: str) -> object:
    signed = {"Content-Type": "application/json", "X-Sadakat-Signature": sign(body, shop.carrier_secret or "")}
    return client.post(f"/webhooks/carrier/{shop.id}", data=body, headers=signed | headers)


def news(number: str, **extra: object) -> bytes:
    return json.dumps({"tracking_number": number, "carrier": "UPS", "status": "in_transit"} | extra).encode()


def events(storage: Storage) -> int:
    with storage.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def test_a_captured_body_replayed_with_new_delivery_ids_is_one_delivery(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    body = news("1Z999", happened_at="2026-12-01T10:00:00Z")
    answers = [post_news(client, woo_shop, body, **{"X-Sadakat-Delivery-Id": f"replay-{n}"}) for n in range(50)]
    assert answers[0].status_code == 202  # kept as unmatched: no shipment has this number yet
    assert {a.get_json()["status"] for a in answers[1:]} == {"duplicate"}
    assert events(storage) == 1


def test_parcel_news_over_64_kb_is_refused_and_not_kept(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    body = news("1Z999", detail="x" * (64 * 1024))
    answer = post_news(client, woo_shop, body)
    assert answer.status_code == 413 and "64 KB" in answer.get_json()["error"]
    assert events(storage) == 0


def test_unknown_tracking_numbers_are_capped_per_shop_per_day_with_one_care_item(
    client: FlaskClient, woo_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unmatched_news, "PER_DAY", 5)
    answers = [post_news(client, woo_shop, news(f"FAKE{n}")) for n in range(12)]
    assert [a.status_code for a in answers] == [202] * 12
    assert [a.get_json().get("kept", True) for a in answers] == [True] * 5 + [False] * 7
    assert events(storage) == 5
    with storage.session() as session:
        floods = session.scalars(select(CareItem).where(CareItem.kind == "unmatched_flood")).all()
    assert len(floods) == 1 and "1 more were counted but not kept" in (floods[0].detail or "")
    queue = client.get(f"/admin/api/shops/{woo_shop.id}/care", headers=AUTH).get_json()
    assert sum(1 for item in queue["items"] if item["kind"] == "unmatched_flood") == 1
