"""The logs an operator reads: one format in every process (ISO 8601 time in UTC, the process's name and id),
RQ's line per job only at debug level, and a line for each business event with the shop and customer."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest
from flask.testing import FlaskClient
from redis import Redis

from connector.db.tables import Shop
from tests.support import AUTH, drain, paid_shopify_order, post_shopify


def test_every_process_logs_in_one_format_and_job_lines_only_at_debug() -> None:
    script = (
        "import logging; from connector import logs; logs.configure('worker');"
        "logging.getLogger('connector.settle').info('points settled');"
        "logging.getLogger('rq.worker').info('Successfully completed job');"
    )
    quiet = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stderr
    [line] = quiet.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ worker\[\d+\] INFO connector\.settle: points settled", line)
    loud = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env={"SADAKAT_LOG_LEVEL": "debug"}
    ).stderr
    assert "rq.worker: Successfully completed job" in loud


def test_business_events_are_logged_with_shop_and_customer(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    url = f"/admin/api/shops/{offline_shopify_shop.id}/customers/115310627314723954/adjustments"
    client.post(url, json={"points": 50, "reason": "goodwill", "key": "k1"}, headers=AUTH)
    said = [r.getMessage() for r in caplog.records]
    shop = offline_shopify_shop.id
    assert any(re.fullmatch(rf"points settled: shop {shop} customer \d+ order 820982911946154508 earned 404 points", m)
               for m in said), said  # fmt: skip
    assert any(re.fullmatch(rf"adjustment: shop {shop} customer \d+ \+50 points by admin API", m) for m in said)
