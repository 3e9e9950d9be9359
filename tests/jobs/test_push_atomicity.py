"""A push's outcome and what follows from it (delivering a code, returning points) commit together:
a worker dying between them can't leave a code undelivered or a customer's points gone."""

from __future__ import annotations

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Push, Shop
from connector.ops.shops import change_settings
from connector.outbox import notices
from connector.settle import redemption
from jobs.outgoing import run_push
from tests.support import customer_json, drain, paid_shopify_order, post_shopify

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
JOHN = "115310627314723954"


class WorkerKilled(Exception):
    """Stands in for the worker dying at that point."""


def push_status(storage: Storage, push_id: int) -> str:
    with storage.session() as session:
        push = session.get(Push, push_id)
        assert push is not None
        return push.status


@pytest.fixture
def member(client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis) -> int:
    change_settings(storage, shopify_shop.id, {"earn_rate": "2.5", "sync_customers": False})
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    with storage.session() as session:
        return session.scalars(select(CustomerRecord.id).where(CustomerRecord.key == JOHN)).one()


def test_a_code_is_not_marked_done_unless_its_delivery_is_asked_for_too(
    member: int, shopify_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SADAKAT_SMTP_URL", "smtp://127.0.0.1:1")
    done = redemption.redeem(storage, shopify_shop.id, member, 500)
    [(push_id, _)] = [p for p in done.pushes]
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/1"}}})

    def killed(*args: object, **kwargs: object) -> None:
        raise WorkerKilled

    monkeypatch.setattr(notices, "code_message", killed)
    with pytest.raises(WorkerKilled):
        run_push(push_id)
    assert push_status(storage, push_id) != "done"  # it will run again, and deliver then

    monkeypatch.undo()
    monkeypatch.setenv("SADAKAT_SMTP_URL", "smtp://127.0.0.1:1")
    with storage.session() as session:
        session.execute(Push.__table__.update().where(Push.id == push_id).values(status="pending"))
    assert run_push(push_id) == "done"
    with storage.session() as session:
        kinds = [
            p.kind for p in session.scalars(select(Push).where(Push.id != push_id, Push.kind != "programme_metafield"))
        ]
    assert kinds == ["email"]


def test_a_refused_code_is_not_marked_failed_unless_the_points_come_back_too(
    client: FlaskClient, member: int, shopify_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = redemption.redeem(storage, shopify_shop.id, member, 500)
    [(push_id, _)] = done.pushes
    refused = {"errors": "[API] This action requires merchant approval for write_discounts scope."}
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(GRAPHQL, status=403, json=refused)

    def killed(*args: object, **kwargs: object) -> None:
        raise WorkerKilled

    monkeypatch.setattr(redemption, "return_points", killed)
    with pytest.raises(WorkerKilled):
        run_push(push_id)
    assert push_status(storage, push_id) != "failed"  # not written off while the points are still out

    monkeypatch.undo()
    with storage.session() as session:
        session.execute(Push.__table__.update().where(Push.id == push_id).values(status="pending"))
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(GRAPHQL, status=403, json=refused)
    assert run_push(push_id) == "failed"
    assert customer_json(client, shopify_shop, JOHN)["points"] == 1012


def test_a_non_number_value_is_a_400_not_a_500(client: FlaskClient, member: int, shopify_shop: Shop) -> None:
    from tests.support import AUTH

    for value in ("NaN", "sNaN", "Infinity", "-Infinity"):
        response = client.post(
            f"/admin/api/shops/{shopify_shop.id}/customers/{JOHN}/codes",
            json={"kind": "percentage", "value": value},
            headers=AUTH,
        )
        assert response.status_code == 400, (value, response.get_json())
