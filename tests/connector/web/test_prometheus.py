"""/metrics: what a Prometheus server scrapes."""

from __future__ import annotations

import json
import os

import pytest
import responses
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from connector.config import Config
from connector.db.tables import Shop
from connector.queue import telemetry
from tests.support import AUTH, drain, paid_shopify_order, post_shopify, shopify_headers

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_needs_the_admin_token(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_metrics_count_webhooks_by_outcome_jobs_queue_and_pushes(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    order = paid_shopify_order()
    post_shopify(client, offline_shopify_shop, "orders/paid", order, delivery_id="d-1")
    post_shopify(client, offline_shopify_shop, "orders/paid", order, delivery_id="d-1")
    body = json.dumps(order).encode()
    forged = shopify_headers(offline_shopify_shop, "orders/paid", body) | {"X-Shopify-Hmac-Sha256": "AAAA"}
    assert client.post("/webhooks/shopify", data=body, headers=forged).status_code == 401
    before = scrape(client)
    assert before[("sadakat_queue_jobs", (("state", "queued"),))] == 1
    drain(redis)
    after = scrape(client)

    def webhooks(outcome: str, topic: str = "orders/paid") -> float:
        labels = (("outcome", outcome), ("platform", "shopify"), ("topic", topic))
        return after[("sadakat_webhooks_received_total", labels)]

    assert webhooks("accepted") == 1
    assert webhooks("duplicate") == 1
    assert webhooks("unauthorized", topic="other") == 1  # an unverified topic is never a label
    assert after[("sadakat_job_duration_seconds_count", (("job", "drain_events"),))] == 1
    assert after[("sadakat_job_duration_seconds_bucket", (("job", "drain_events"), ("le", "+Inf")))] == 1
    assert after[("sadakat_job_duration_seconds_sum", (("job", "drain_events"),))] > 0
    assert after[("sadakat_queue_jobs", (("state", "queued"),))] == 0
    assert after[("sadakat_inbox_events", (("status", "processed"),))] == 1
    assert after[("sadakat_processes_alive", (("role", "worker"),))] == 0
    assert after[("sadakat_shops", (("platform", "shopify"),))] == 1


def test_metrics_report_pushes_by_kind_and_outcome(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval for write_discounts scope."}
    )
    url = f"/admin/api/shops/{offline_shopify_shop.id}/customers/115310627314723954/codes"
    assert client.post(url, json={"value": 5}, headers=AUTH).status_code == 202
    drain(redis)
    samples = scrape(client)
    assert samples[("sadakat_pushes", (("kind", "discount_code"), ("status", "failed")))] == 1
    assert samples[("sadakat_job_duration_seconds_count", (("job", "run_push"),))] == 1


def test_counts_kept_for_later_are_sent_once_when_the_process_forks(
    redis: Redis, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "LATER_SECONDS", 30.0)  # no timer sends them during the test
    later = telemetry.LaterCounts()
    later.add(redis, "shopify", "orders/paid", "accepted")
    child = os.fork()  # gunicorn's workers, RQ's work horses
    if child == 0:
        try:
            later.send()  # the parent's counts are not the child's to send
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    later.send()
    assert telemetry.webhook_counts(redis) == {("shopify", "orders/paid", "accepted"): 1}


def test_metrics_count_requests_by_area_and_status_class_and_time_them(
    client: FlaskClient, offline_shopify_shop: Shop
) -> None:
    assert client.get("/admin/api/shops", headers=AUTH).status_code == 200
    assert client.get("/admin/api/shops/999999/customers/1", headers=AUTH).status_code == 404
    body = json.dumps(paid_shopify_order()).encode()
    forged = shopify_headers(offline_shopify_shop, "orders/paid", body) | {"X-Shopify-Hmac-Sha256": "AAAA"}
    assert client.post("/webhooks/shopify", data=body, headers=forged).status_code == 401
    signed = shopify_headers(offline_shopify_shop, "orders/paid", body)
    accepted = client.post("/webhooks/shopify", data=body, headers=signed)  # the receiver's common case
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert accepted.headers["X-Content-Type-Options"] == "nosniff" and "Set-Cookie" not in accepted.headers
    samples = scrape(client)

    assert samples[("sadakat_http_requests_total", (("area", "webhooks"), ("status", "2xx")))] == 1
    assert samples[("sadakat_http_request_duration_seconds_count", (("area", "webhooks"),))] == 2
    assert samples[("sadakat_http_requests_total", (("area", "admin"), ("status", "2xx")))] == 1
    assert samples[("sadakat_http_requests_total", (("area", "admin"), ("status", "4xx")))] == 1
    assert samples[("sadakat_http_requests_total", (("area", "webhooks"), ("status", "4xx")))] == 1
    admin = (("area", "admin"),)
    assert samples[("sadakat_http_request_duration_seconds_count", admin)] == 2
    assert samples[("sadakat_http_request_duration_seconds_bucket", (*admin, ("le", "+Inf")))] == 2
    assert 0 < samples[("sadakat_http_request_duration_seconds_sum", admin)] < 10
