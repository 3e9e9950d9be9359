"""The webhook receiver: what a platform sees when it delivers, and what is stored."""

import dataclasses
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import func, select

from connector import create_app, inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Shop, WebhookEvent
from connector.inbox import signing_shops
from connector.ops.shops import rotate_webhook_secret
from connector.queue import telemetry
from connector.queue.connection import QUEUE_NAME, event_queue
from connector.settle import lifecycle
from tests.support import (
    customer_json,
    drain,
    login,
    paid_shopify_order,
    post_shopify,
    post_woo,
    shopify_headers,
    sign,
    woo_headers,
)


def event_rows(storage: Storage) -> list[WebhookEvent]:
    with storage.session() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def queued(redis: Redis) -> int:
    return Queue(QUEUE_NAME, connection=redis).count


def test_signed_order_is_stored_queued_and_acknowledged(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    response = post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="d-1")
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    [row] = event_rows(storage)
    assert (row.topic, row.delivery_id, row.status) == ("orders/paid", "d-1", "pending")
    assert queued(redis) == 1


def test_repeat_delivery_gets_200_and_no_second_row_or_job(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    for _ in range(3):
        response = post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="same")
        assert response.status_code == 200
    assert response.get_json() == {"status": "duplicate"}
    assert len(event_rows(storage)) == 1
    assert queued(redis) == 1


def test_bad_signature_is_401_and_stores_nothing(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    body = json.dumps(paid_shopify_order()).encode()
    headers = shopify_headers(shopify_shop, "orders/paid", body) | {"X-Shopify-Hmac-Sha256": sign(body, "wrong")}
    response = client.post("/webhooks/shopify", data=body, headers=headers)
    assert response.status_code == 401
    assert "signature" in response.get_json()["error"]
    assert event_rows(storage) == []


def test_body_changed_after_signing_is_401(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    body = json.dumps(paid_shopify_order()).encode()
    headers = shopify_headers(shopify_shop, "orders/paid", body)
    response = client.post("/webhooks/shopify", data=body.replace(b"404.95", b"999.95"), headers=headers)
    assert response.status_code == 401
    assert event_rows(storage) == []


def test_unknown_shop_is_401(client: FlaskClient, storage: Storage) -> None:
    body = b"{}"
    headers = {
        "X-Shopify-Shop-Domain": "nobody.myshopify.com",
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Hmac-Sha256": sign(body, "x"),
    }
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    assert (
        client.post("/webhooks/woocommerce/999", data=body, headers=woo_headers("order.created", body)).status_code
        == 401
    )
    assert event_rows(storage) == []


def test_woocommerce_path_of_another_platforms_shop_is_401(
    client: FlaskClient, shopify_shop: Shop, storage: Storage
) -> None:
    body = b"{}"
    response = client.post(
        f"/webhooks/woocommerce/{shopify_shop.id}", data=body, headers=woo_headers("order.created", body)
    )
    assert response.status_code == 401


def test_unknown_platform_is_404(client: FlaskClient) -> None:
    assert client.post("/webhooks/magento", data=b"{}").status_code == 404


def test_oversize_body_is_413_and_stores_nothing(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/webhooks/shopify", data=body, headers=shopify_headers(shopify_shop, "orders/paid", body))
    assert response.status_code == 413
    assert "bytes" in response.get_json()["error"]
    assert event_rows(storage) == []


def test_signed_non_json_is_400_with_a_reason(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    for body, reason in ((b"not json", "not JSON"), (b"[1, 2]", "not an object"), (b"\xff\xfe", "UTF-8")):
        response = client.post(
            "/webhooks/shopify", data=body, headers=shopify_headers(shopify_shop, "orders/paid", body)
        )
        assert response.status_code == 400
        assert reason in response.get_json()["error"]
    assert event_rows(storage) == []


def test_signed_topic_we_dont_use_is_200_and_recorded_as_ignored(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    response = post_shopify(client, shopify_shop, "products/update", {"id": 1})
    assert response.status_code == 200
    assert response.get_json()["status"] == "ignored"
    assert [row.status for row in event_rows(storage)] == ["ignored"]
    assert queued(redis) == 0


def test_woocommerce_creation_ping_is_200_and_changes_nothing(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    response = client.post(
        f"/webhooks/woocommerce/{woo_shop.id}",
        data=b"webhook_id=31",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert event_rows(storage) == []


def test_both_secrets_verify_during_a_rotation(client: FlaskClient, woo_shop: Shop, storage: Storage) -> None:
    rotate_webhook_secret(storage, woo_shop.id, "brand-new")
    old = post_woo(client, woo_shop, "order.created", {"id": 1})
    body = b'{"id": 2}'
    new = client.post(
        f"/webhooks/woocommerce/{woo_shop.id}",
        data=body,
        headers=woo_headers("order.created", body) | {"X-WC-Webhook-Signature": sign(body, "brand-new")},
    )
    assert (old.status_code, new.status_code) == (200, 200)
    rotate_webhook_secret(storage, woo_shop.id, "newest")
    assert post_woo(client, woo_shop, "order.created", {"id": 3}).status_code == 401


def test_shopify_shop_without_its_own_secret_uses_the_app_secret(
    client: FlaskClient, config: Config, storage: Storage
) -> None:
    from connector.ops.shops import register_shop

    shop = register_shop(storage, config, "shopify", "appsecret.myshopify.com", {"access_token": "t"}, None)
    own = paid_shopify_order(order_status_url="https://appsecret.myshopify.com/548380009/orders/1/authenticate")
    assert post_shopify(client, shop, "orders/paid", own).status_code == 200


def test_a_body_signed_with_the_app_secret_for_one_shop_is_refused_for_another(
    client: FlaskClient, config: Config, storage: Storage
) -> None:
    from connector.ops.shops import register_shop

    register_shop(storage, config, "shopify", "victim.myshopify.com", {"access_token": "t"}, None)
    attacker = register_shop(storage, config, "shopify", "attacker.myshopify.com", {"access_token": "t"}, None)
    victims = paid_shopify_order(order_status_url="https://victim.myshopify.com/548380009/orders/1/authenticate")
    response = post_shopify(client, attacker, "orders/paid", victims)  # the shop header names the attacker
    assert response.status_code == 401
    assert event_rows(storage) == []


def test_an_unknown_shop_and_a_bad_signature_look_alike(client: FlaskClient, shopify_shop: Shop) -> None:
    body = json.dumps(paid_shopify_order()).encode()
    unknown = client.post(
        "/webhooks/shopify",
        data=body,
        headers={**shopify_headers(shopify_shop, "orders/paid", body), "X-Shopify-Shop-Domain": "nobody.myshopify.com"},
    )
    forged = client.post(
        "/webhooks/shopify",
        data=body,
        headers={**shopify_headers(shopify_shop, "orders/paid", body), "X-Shopify-Hmac-Sha256": "AAAA"},
    )
    assert (unknown.status_code, unknown.get_json()) == (forged.status_code, forged.get_json())
    unknown_carrier = client.post("/webhooks/carrier/999999", data=b"{}", headers={"X-Sadakat-Signature": "x"})
    forged_carrier = client.post(
        f"/webhooks/carrier/{shopify_shop.id}", data=b"{}", headers={"X-Sadakat-Signature": "x"}
    )
    assert unknown_carrier.get_json() == forged_carrier.get_json() == unknown.get_json()


@pytest.mark.parametrize("order_id", ["9" * 5000, "9" * 65])
def test_an_id_longer_than_the_platforms_is_a_400_and_nothing_is_stored(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, order_id: str
) -> None:
    order = json.dumps(paid_shopify_order()).replace("820982911946154508", order_id, 1)
    body = order.encode()
    response = client.post("/webhooks/shopify", data=body, headers=shopify_headers(shopify_shop, "orders/paid", body))
    assert response.status_code == 400
    assert "digits" in response.get_json()["error"] or "longer than" in response.get_json()["error"]
    assert event_rows(storage) == []


def test_redis_down_at_receive_time_still_acknowledges_and_the_sweeper_delivers(
    config: Config, shopify_shop: Shop, storage: Storage, redis: Redis, client: FlaskClient
) -> None:
    down = create_app(dataclasses.replace(config, redis_url="redis://127.0.0.1:1/0"))
    response = post_shopify(down.test_client(), shopify_shop, "orders/paid", paid_shopify_order())
    assert response.status_code == 200
    assert [row.status for row in event_rows(storage)] == ["pending"]
    assert queued(redis) == 0

    assert inbox.sweep(storage, event_queue(redis), grace_seconds=0) == 1
    assert inbox.sweep(storage, event_queue(redis), grace_seconds=0) == 0  # its job is already queued
    drain(redis)
    assert [row.status for row in event_rows(storage)] == ["processed"]
    assert customer_json(client, shopify_shop, "115310627314723954")["points"] == 404


def test_sweeper_requeues_an_event_whose_job_ended_without_processing_it(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    Queue(QUEUE_NAME, connection=redis).empty()  # the job is lost, e.g. Redis lost it in a crash
    assert inbox.sweep(storage, event_queue(redis), grace_seconds=0) == 1
    drain(redis)
    assert [row.status for row in event_rows(storage)] == ["processed"]


def test_sweeper_waits_out_the_grace_period(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    Queue(QUEUE_NAME, connection=redis).empty()
    assert inbox.sweep(storage, event_queue(redis), grace_seconds=3600) == 0


def test_database_down_is_503_so_the_platform_retries(config: Config, shopify_shop: Shop) -> None:
    down = create_app(dataclasses.replace(config, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none"))
    response = post_shopify(down.test_client(), shopify_shop, "orders/paid", paid_shopify_order())
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "database" in response.get_json()["error"]


def test_no_ledger_entry_before_a_worker_runs(client: FlaskClient, shopify_shop: Shop, storage: Storage) -> None:
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_a_webhook_never_opens_or_sets_the_admin_session(client: FlaskClient, shopify_shop: Shop) -> None:
    assert login(client).status_code == 302  # this client now carries an admin session cookie
    response = post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="d-1")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.get("/admin/").status_code == 200  # the admin session is untouched


def test_a_shop_removed_just_after_the_receiver_read_it_is_a_401_and_nothing_is_stored(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_domain = signing_shops.by_domain

    def read_then_removed(*args: Any) -> Any:
        found = by_domain(*args)
        lifecycle.erase_shop(storage, shopify_shop.id)  # `sadakat shops remove` or shop/redact, read to insert
        return found

    monkeypatch.setattr(signing_shops, "by_domain", read_then_removed)
    response = post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="d-1")
    assert (response.status_code, response.get_json()) == (
        401,
        {"error": "unknown shop or the signature does not match its secret"},
    )
    assert event_rows(storage) == []


def test_a_webhook_is_counted_once_when_redis_fails_after_the_count_went_out(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise RedisConnectionError("connection reset while queueing")

    monkeypatch.setattr(Queue, "enqueue", refused)  # the wake's pipeline went through; queueing the drain fails
    response = post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order(), delivery_id="d-1")
    assert response.get_json()["status"] == "accepted"  # committed: the sweeper queues it later
    assert [row.status for row in event_rows(storage)] == ["pending"]
    assert telemetry.webhook_counts(redis)[("shopify", "orders/paid", "accepted")] == 1
