"""Pushes to stores as a worker runs them: exactly once, retried only when the store says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import requests
import responses
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.model import Customer
from connector.outbox import pushes
from connector.queue.connection import QUEUE_NAME, enqueue_push
from connector.settle.members import customer_record
from jobs.outgoing import run_push
from tests.support import SHOPIFY_THROTTLED as THROTTLED
from tests.support import drain, paid_shopify_order, post_shopify

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
NOT_FOUND = {"data": {"codeDiscountNodeByCode": None}}
CREATED = {
    "data": {
        "discountCodeBasicCreate": {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/77"}, "userErrors": []}
    }
}


def gift(storage: Storage, shop: Shop, reason: str = "gift:test:1") -> tuple[int | None, str]:
    with storage.session() as session:
        customer = customer_record(session, shop.id, Customer(id="115310627314723954", email="john@example.com"))
        assert customer is not None
        return pushes.issue_discount_code(
            session,
            session.get(Shop, shop.id),
            customer,
            kind="fixed_amount",
            value="5.00",
            ends_at=datetime(2027, 1, 1, tzinfo=UTC),
            reason_key=reason,
            title="Sadakat gift",
        )


def push_row(storage: Storage, push_id: int) -> Push:
    with storage.session() as session:
        push = session.get(Push, push_id)
        assert push is not None
        return push


def creates(calls: responses.CallList) -> list[dict]:
    bodies = [json.loads(c.request.body) for c in calls]
    return [b for b in bodies if "discountCodeBasicCreate" in b["query"]]


def test_gift_code_is_looked_up_then_created_once(shopify_shop: Shop, storage: Storage) -> None:
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=CREATED)
    push_id, code = gift(storage, shopify_shop)
    assert push_id is not None and code.startswith("SDK-")
    assert run_push(push_id) == "done"
    assert run_push(push_id) == "skipped"  # a duplicate job finds it done
    push = push_row(storage, push_id)
    assert (push.status, push.store_object_id, push.attempts) == ("done", "gid://shopify/DiscountCodeNode/77", 1)
    [create] = creates(responses.calls)
    assert create["variables"]["discount"]["code"] == code


def test_same_reason_is_the_same_code_and_one_push(shopify_shop: Shop, storage: Storage) -> None:
    first_id, first_code = gift(storage, shopify_shop, "gift:first_order:1001")
    again_id, again_code = gift(storage, shopify_shop, "gift:first_order:1001")
    other_id, other_code = gift(storage, shopify_shop, "gift:first_order:1002")
    assert first_id is not None and again_id is None and other_id is not None
    assert first_code == again_code != other_code


def test_retry_after_a_lost_answer_finds_the_code_instead_of_making_another(
    shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, body=requests.ReadTimeout("created, but the answer was lost"))
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/77"}}})
    push_id, _ = gift(storage, shopify_shop)
    assert run_push(push_id) == "retrying"
    assert push_row(storage, push_id).status == "pending"
    assert run_push(push_id) == "done"
    assert len(creates(responses.calls)) == 1
    assert push_row(storage, push_id).store_object_id == "gid://shopify/DiscountCodeNode/77"


def test_throttled_push_is_scheduled_after_the_restore_time_then_succeeds(
    shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=THROTTLED)
    push_id, _ = gift(storage, shopify_shop)
    before = datetime.now(UTC)
    assert run_push(push_id) == "retrying"
    registry = ScheduledJobRegistry(QUEUE_NAME, connection=redis)
    [job_id] = registry.get_job_ids()
    when = registry.get_scheduled_time(job_id)
    assert before + timedelta(seconds=1) <= when <= datetime.now(UTC) + timedelta(seconds=3)  # ~ 10 / 100 s, at least 1
    assert "throttled" in (push_row(storage, push_id).last_error or "")

    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=CREATED)
    assert run_push(push_id) == "done"
    assert push_row(storage, push_id).attempts == 1  # being asked to slow down isn't a failed attempt


def test_429_waits_as_long_as_the_store_asks(shopify_shop: Shop, storage: Storage, redis: Redis) -> None:
    responses.post(GRAPHQL, status=429, headers={"Retry-After": "40"}, json={"errors": "Throttled"})
    push_id, _ = gift(storage, shopify_shop)
    assert run_push(push_id) == "retrying"
    registry = ScheduledJobRegistry(QUEUE_NAME, connection=redis)
    [job_id] = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) >= datetime.now(UTC) + timedelta(seconds=38)


def test_permanent_refusal_is_recorded_and_not_retried(shopify_shop: Shop, storage: Storage, redis: Redis) -> None:
    refused = {
        "data": {
            "discountCodeBasicCreate": {
                "codeDiscountNode": None,
                "userErrors": [
                    {
                        "field": ["basicCodeDiscount", "endsAt"],
                        "code": "INVALID",
                        "message": "Ends at must be after starts at",
                    }
                ],
            }
        }
    }
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=refused)
    push_id, _ = gift(storage, shopify_shop)
    assert run_push(push_id) == "failed"
    push = push_row(storage, push_id)
    assert push.status == "failed"
    assert push.last_error == "Shopify refused: basicCodeDiscount.endsAt: Ends at must be after starts at"
    assert ScheduledJobRegistry(QUEUE_NAME, connection=redis).count == 0
    assert run_push(push_id) == "skipped"


def test_a_store_that_throttles_for_more_than_a_day_ends_in_failure(
    shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.post(GRAPHQL, status=429, headers={"Retry-After": "2"}, json={"errors": "Throttled"})
    push_id, _ = gift(storage, shopify_shop)
    assert [run_push(push_id) for _ in range(20)] == ["retrying"] * 20  # throttles don't use up attempts
    assert push_row(storage, push_id).attempts == 0
    with storage.session() as session:
        session.get(Push, push_id).created_at -= timedelta(days=1, minutes=1)
    results = [run_push(push_id) for _ in range(8)]
    assert results == ["retrying"] * 7 + ["failed"]
    assert push_row(storage, push_id).last_error == "gave up after 8 attempts: Shopify: 429 Too Many Requests"


def test_gives_up_after_the_last_attempt(shopify_shop: Shop, storage: Storage, redis: Redis) -> None:
    responses.post(GRAPHQL, status=503, body="unavailable")
    push_id, _ = gift(storage, shopify_shop)
    results = [run_push(push_id) for _ in range(8)]
    assert results == ["retrying"] * 7 + ["failed"]
    assert push_row(storage, push_id).last_error == "gave up after 8 attempts: Shopify: HTTP 503"


def test_a_paid_order_writes_the_members_points_into_the_store(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    responses.post(
        GRAPHQL,
        json={"data": {"metafieldsSet": {"metafields": [{"id": "gid://shopify/Metafield/1"}], "userErrors": []}}},
    )
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        push = session.scalars(select(Push)).one()
    assert (push.kind, push.status) == ("customer_sync", "done")
    [call] = responses.calls
    metafields = json.loads(call.request.body)["variables"]["metafields"]
    assert metafields[0]["value"] == "404"
    assert metafields[0]["ownerId"] == "gid://shopify/Customer/115310627314723954"


def test_member_sync_running_during_a_change_runs_again(shopify_shop: Shop, storage: Storage, config: Config) -> None:
    with storage.session() as session:
        customer = customer_record(session, shopify_shop.id, Customer(id="42", email="a@example.com"))
        push_id = pushes.request_customer_sync(session, session.get(Shop, shopify_shop.id), customer)
    from connector.outbox import requests as outbox

    claimed = outbox.claim(storage, push_id)
    assert claimed is not None
    with storage.session() as session:  # a balance change arrives while the sync is running
        customer = customer_record(session, shopify_shop.id, Customer(id="42", email="a@example.com"))
        assert pushes.request_customer_sync(session, session.get(Shop, shopify_shop.id), customer) == push_id
    assert outbox.complete(storage, claimed, None) == (False, [])
    assert (push_row(storage, push_id).status, push_row(storage, push_id).generation) == ("pending", 2)


def test_guests_and_opted_out_shops_get_no_member_sync(
    client: FlaskClient, storage: Storage, redis: Redis, offline_shopify_shop: Shop
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    post_shopify(
        client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=5, customer=None, email="g@example.com")
    )
    drain(redis)
    with storage.session() as session:
        assert session.scalars(select(Push)).all() == []


def test_one_busy_store_does_not_hold_up_the_others(shopify_shop: Shop, woo_shop: Shop, redis: Redis) -> None:
    queue = Queue(QUEUE_NAME, connection=redis)
    for push_id in range(1, 6):
        enqueue_push(queue, push_id, shopify_shop.id)
    enqueue_push(queue, 99, woo_shop.id)
    queued = [job.description for job in queue.get_jobs()]
    assert sum(f"shop {shopify_shop.id}" in d for d in queued) == 2  # the rest wait their turn, rate-limited
    assert sum(f"shop {woo_shop.id}" in d for d in queued) == 1


def test_sweeper_requeues_a_push_whose_job_was_lost(shopify_shop: Shop, storage: Storage, redis: Redis) -> None:
    from connector.queue.connection import event_queue

    push_id, _ = gift(storage, shopify_shop)  # committed, but no job was ever queued (Redis was down)
    assert pushes.sweep(storage, event_queue(redis), grace_seconds=0) == 1
    assert pushes.sweep(storage, event_queue(redis), grace_seconds=0) == 0  # its job is queued now
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=CREATED)
    drain(redis)
    assert push_row(storage, push_id).status == "done"


def test_a_push_held_by_a_dead_worker_is_taken_over_once_its_claim_goes_stale(
    shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    from sqlalchemy import update

    from connector.outbox import requests as outbox
    from connector.queue.connection import event_queue

    push_id, _ = gift(storage, shopify_shop)
    assert outbox.claim(storage, push_id) is not None  # a worker took it, then was killed
    assert run_push(push_id) == "skipped"  # a fresh claim is respected
    assert pushes.sweep(storage, event_queue(redis), grace_seconds=0) == 0
    with storage.session() as session:
        stale = datetime.now(UTC) - outbox.STALE_CLAIM - timedelta(seconds=1)
        session.execute(update(Push).where(Push.id == push_id).values(claimed_at=stale, updated_at=stale))
    assert pushes.sweep(storage, event_queue(redis), grace_seconds=0) == 1
    responses.post(GRAPHQL, json=NOT_FOUND)
    responses.post(GRAPHQL, json=CREATED)
    drain(redis)
    assert (push_row(storage, push_id).status, push_row(storage, push_id).attempts) == ("done", 2)
