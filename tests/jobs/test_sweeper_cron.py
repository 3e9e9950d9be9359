"""The scheduler's sweeper, as deployed: `sadakat scheduler` queues the sweep, a worker runs it."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import select

from connector import create_app
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent
from connector.queue.connection import QUEUE_NAME
from tests.support import customer_json, paid_shopify_order, post_shopify

SADAKAT = str(Path(sys.executable).parent / "sadakat")


def test_event_stored_while_redis_was_down_is_processed_via_the_scheduled_sweep(
    config: Config, offline_shopify_shop: Shop, storage: Storage, redis: Redis, client: FlaskClient
) -> None:
    down = create_app(dataclasses.replace(config, redis_url="redis://127.0.0.1:1/0"))
    assert (
        post_shopify(down.test_client(), offline_shopify_shop, "orders/paid", paid_shopify_order()).status_code == 200
    )

    env = os.environ | {"SADAKAT_SWEEP_GRACE_SECONDS": "0"}
    scheduler = subprocess.Popen([SADAKAT, "scheduler"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while Queue(QUEUE_NAME, connection=redis).count == 0:
            assert time.monotonic() < deadline, "the scheduler never queued the sweep"
            time.sleep(0.1)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=30) == 0

    subprocess.run([SADAKAT, "worker", "--burst"], env=env, check=True, capture_output=True, timeout=120)
    with storage.session() as session:
        assert list(session.scalars(select(WebhookEvent.status))) == ["processed"]
    assert customer_json(client, offline_shopify_shop, "115310627314723954")["points"] == 404
