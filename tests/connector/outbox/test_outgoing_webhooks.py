"""A merchant's URL gets the programme's events signed as Standard Webhooks: verified here by the reference
``standardwebhooks`` library, against a real HTTP endpoint (not a mock of our sender)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from connector.db.after_delivery import CareItem
from connector.db.merchants import EventDestination
from connector.db.storage import Storage
from connector.db.tables import Push, Shop, utcnow
from connector.ops.shops import change_settings
from jobs.outgoing import run_push
from tests.endpoint import Endpoint, webhook_endpoint
from tests.support import AUTH, an_hour_later, drain, paid_shopify_order, post_shopify

TIERS = [{"name": "Bronze", "min_spend": "0"}, {"name": "Silver", "min_spend": "300", "multiplier": "1.5"}]
JOHN_EMAIL = "john@example.com"


@pytest.fixture
def endpoint(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """The merchant's endpoint, on this machine (so private addresses are allowed, as in development)."""
    monkeypatch.setenv("SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES", "1")
    running_app = app.extensions["sadakat"]
    running_app.config = dataclasses.replace(running_app.config, allow_private_store_addresses=True)
    with webhook_endpoint() as running:
        yield running


def subscribe(client: FlaskClient, shop: Shop, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url} | ({"events": events} if events is not None else {})
    answer = client.post(f"/admin/api/shops/{shop.id}/webhooks", json=body, headers=AUTH)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def verified(secret: str, endpoint: Endpoint) -> list[dict[str, Any]]:
    """Every delivery the endpoint got, each verified by the Standard Webhooks library."""
    return [Webhook(secret).verify(got.body, got.headers) for got in endpoint.received]


def settle_order(client: FlaskClient, shop: Shop, redis: Redis, **changes: Any) -> None:
    post_shopify(client, shop, "orders/paid", paid_shopify_order(created_at=utcnow().isoformat(), **changes))
    drain(redis)


def until_delivered(redis: Redis, endpoint: Endpoint, count: int) -> None:
    """Let retries fall due until the endpoint has ``count`` requests (as time passing would)."""
    for _ in range(8):
        if len(endpoint.received) >= count:
            return
        an_hour_later(redis)
        drain(redis)


def test_a_merchant_sees_signed_points_and_tier_deliveries_that_the_library_verifies(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    made = subscribe(client, offline_shopify_shop, endpoint.url)
    assert made["secret"].startswith("whsec_")
    settle_order(client, offline_shopify_shop, redis)
    events = verified(made["secret"], endpoint)
    assert [e["type"] for e in events] == ["points.earned", "tier.changed"]
    earned, tier = events
    assert earned["data"]["points"] == 404 and earned["data"]["balance"] == 404
    assert (
        earned["data"]["customer"]["email"] == JOHN_EMAIL and earned["data"]["customer"]["id"] == "115310627314723954"
    )
    assert earned["data"]["customer"]["name"] == "John Smith" and earned["data"]["customer"]["locale"] == "en"
    assert (
        earned["data"]["cause"]["type"] == "order" and earned["data"]["shop"]["domain"] == offline_shopify_shop.domain
    )
    assert (tier["data"]["from"], tier["data"]["to"], tier["data"]["direction"]) == (None, "Silver", "up")
    assert all(got.headers["content-type"] == "application/json" for got in endpoint.received)
    assert len({got.headers["webhook-id"] for got in endpoint.received}) == 2
    listed = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/webhooks", headers=AUTH).get_json()["webhooks"]
    assert [(w["url"], w["events"], w["enabled"]) for w in listed] == [(endpoint.url, None, True)]
    assert "secret" not in json.dumps(listed)

    settle_order(client, offline_shopify_shop, redis)  # the same order again: nothing new happened
    assert len(endpoint.received) == 2


def test_a_500_is_retried_in_order_with_the_same_webhook_id_and_a_changed_body_is_rejected(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    made = subscribe(client, offline_shopify_shop, endpoint.url)
    endpoint.answers = [500]
    settle_order(client, offline_shopify_shop, redis)
    assert len(endpoint.received) == 1  # the tier event waits behind the points event that failed
    until_delivered(redis, endpoint, 3)
    first, retried, tier = endpoint.received
    assert first.headers["webhook-id"] == retried.headers["webhook-id"] != tier.headers["webhook-id"]
    assert [e["type"] for e in verified(made["secret"], endpoint)] == ["points.earned"] * 2 + ["tier.changed"]
    log = client.get(
        f"/admin/api/shops/{offline_shopify_shop.id}/webhooks/{made['id']}/deliveries", headers=AUTH
    ).get_json()["deliveries"]
    assert [(d["type"], d["status"], d["attempts"]) for d in log] == [
        ("tier.changed", "done", 1),
        ("points.earned", "done", 2),
    ]

    changed = retried.body.replace(b'"points":404', b'"points":40400')
    assert changed != retried.body
    with pytest.raises(WebhookVerificationError):
        Webhook(made["secret"]).verify(changed, retried.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").verify(retried.body, retried.headers)

    again = client.post(
        f"/admin/api/shops/{offline_shopify_shop.id}/webhooks/{made['id']}/deliveries/{log[1]['id']}/again",
        headers=AUTH,
    )
    assert again.status_code == 202
    drain(redis)
    assert endpoint.received[-1].headers["webhook-id"] == first.headers["webhook-id"]
    assert (
        Webhook(made["secret"]).verify(endpoint.received[-1].body, endpoint.received[-1].headers)["type"]
        == "points.earned"
    )


def test_a_refusal_is_not_retried_and_a_test_event_checks_the_endpoint(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    made = subscribe(client, offline_shopify_shop, endpoint.url, ["points.earned"])
    endpoint.answers = [410]
    settle_order(client, offline_shopify_shop, redis)
    until_delivered(redis, endpoint, 2)
    assert len(endpoint.received) == 1
    shop_path = f"/admin/api/shops/{offline_shopify_shop.id}/webhooks/{made['id']}"
    [failed] = client.get(f"{shop_path}/deliveries", headers=AUTH).get_json()["deliveries"]
    assert (failed["status"], failed["attempts"], failed["error"]) == ("failed", 1, "the endpoint answered 410")

    assert client.post(f"{shop_path}/test", headers=AUTH).status_code == 202
    drain(redis)
    test_event = verified(made["secret"], endpoint)[-1]
    assert test_event["type"] == "sadakat.test" and "it works" in test_event["data"]["message"]


def test_only_the_types_subscribed_to_are_sent(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    made = subscribe(client, offline_shopify_shop, endpoint.url, ["tier.changed"])
    settle_order(client, offline_shopify_shop, redis)
    assert [e["type"] for e in verified(made["secret"], endpoint)] == ["tier.changed"]


def test_bad_subscriptions_are_refused_with_the_reason(
    client: FlaskClient, offline_shopify_shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"/admin/api/shops/{offline_shopify_shop.id}/webhooks"
    cases = [
        ({"url": "ftp://example.com/x"}, "must start with https://"),
        ({"url": "http://example.com/x"}, "must start with https://"),
        ({"url": "https://127.0.0.1/x"}, "not a public internet address"),
        ({"url": "https://example.com/x", "events": ["points.won"]}, "unknown type 'points.won'"),
        ({"url": "https://example.com/x", "events": "tier.changed"}, "events must be a list"),
        ({}, "url is required"),
    ]
    for body, reason in cases:
        answer = client.post(path, json=body, headers=AUTH)
        assert answer.status_code == 400 and reason in json.dumps(answer.get_json()), (body, answer.get_json())
    assert client.get(path, headers=AUTH).get_json()["webhooks"] == []
    assert client.delete(f"{path}/999999", headers=AUTH).status_code == 404


def test_an_endpoint_failing_for_three_days_is_turned_off_with_a_care_item(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    made = subscribe(client, offline_shopify_shop, endpoint.url)
    with storage.session() as session:
        session.execute(
            update(EventDestination)
            .where(EventDestination.id == made["id"])
            .values(failing_since=utcnow() - timedelta(days=3, minutes=1))
        )
    endpoint.answers = [503]
    settle_order(client, offline_shopify_shop, redis)
    [listed] = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/webhooks", headers=AUTH).get_json()["webhooks"]
    assert listed["enabled"] is False and "the endpoint answered 503" in listed["disabled_reason"]
    with storage.session() as session:
        [item] = session.scalars(select(CareItem).where(CareItem.kind == "destination_disabled")).all()
        assert endpoint.url in (item.detail or "")
    care = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/care", headers=AUTH).get_json()
    assert [i["kind"] for i in care["items"]] == ["destination_disabled"]
    settle_order(client, offline_shopify_shop, redis, id=2002)
    until_delivered(redis, endpoint, 2)
    assert len(endpoint.received) == 1  # nothing more goes to an endpoint that is off


def test_removing_an_endpoint_cancels_what_was_on_its_way(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis, endpoint: Endpoint
) -> None:
    made = subscribe(client, offline_shopify_shop, endpoint.url)
    endpoint.answers = [500]
    settle_order(client, offline_shopify_shop, redis)
    path = f"/admin/api/shops/{offline_shopify_shop.id}/webhooks/{made['id']}"
    assert client.delete(path, headers=AUTH).get_json() == {"status": "removed"}
    until_delivered(redis, endpoint, 2)
    assert len(endpoint.received) == 1
    assert client.get(f"{path}/deliveries", headers=AUTH).status_code == 404


def test_when_the_endpoint_is_back_one_job_carries_every_ready_event(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    made = subscribe(client, offline_shopify_shop, endpoint.url)
    endpoint.answers = [503, 503, 503]
    customer = paid_shopify_order()["customer"]
    for n in range(3):
        buyer = customer | {"id": 700 + n, "email": f"friend{n}@example.com"}
        post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=4000 + n, customer=buyer))
    drain(redis)
    assert len(endpoint.received) == 3  # each tried once, each refused
    with storage.session() as session:
        first = session.scalars(select(Push.id).where(Push.kind == "event_delivery").order_by(Push.id)).first()
    assert run_push(first) == "done"  # one job, as the first retry falling due would run
    delivered = verified(made["secret"], endpoint)[3:]
    assert sorted(e["data"]["customer"]["email"] for e in delivered) == [f"friend{n}@example.com" for n in range(3)]


def test_a_failure_partway_through_a_backlog_gives_back_what_was_taken_and_not_tried(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, endpoint: Endpoint
) -> None:
    subscribe(client, offline_shopify_shop, endpoint.url)
    endpoint.answers = [503, 503, 503, 503, 204, 204, 503]
    customer = paid_shopify_order()["customer"]
    for n in range(4):
        buyer = customer | {"id": 800 + n, "email": f"pal{n}@example.com"}
        post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=5000 + n, customer=buyer))
    drain(redis)
    with storage.session() as session:
        ids = list(session.scalars(select(Push.id).where(Push.kind == "event_delivery").order_by(Push.id)))
    assert run_push(ids[0]) == "done"
    assert len(endpoint.received) == 7  # four refused, then the first two delivered and the third refused
    with storage.session() as session:
        states = {
            p.id: (p.status, p.attempts, p.last_error) for p in session.scalars(select(Push).where(Push.id.in_(ids)))
        }
    assert [states[i][0] for i in ids] == ["done", "done", "pending", "pending"]
    assert states[ids[2]][1:] == (2, "the endpoint answered 503")
    assert states[ids[3]][1] == 1  # taken with the others, given back untried: its attempts as they were
