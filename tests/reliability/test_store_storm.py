"""A store API storm: 429 with Retry-After, GraphQL THROTTLED, 503s, dropped connections and answers lost
after the store acted. Every push lands exactly once in the end; a permanent refusal is recorded,
shown to admins and never tried again."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import requests
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Push, Shop
from connector.outbox import pushes
from connector.queue.connection import event_queue
from tests.support import AUTH, an_hour_later, drain, paid_shopify_order, post_shopify
from tests.support import SHOPIFY_THROTTLED as THROTTLED

GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
# What the n-th call to the store meets before it is served, while the storm lasts; "lost answer" means the
# store acted and the connection dropped before its answer arrived. Then the weather clears.
STORM = ["429", "ok", "throttled", "503", "ok", "lost answer", "connection reset", "ok", "503", "ok"] * 4


class StormyShopify:
    """Shopify's Admin GraphQL, for the calls these pushes make (answer shapes from Shopify's docs), with
    a storm in front of it: the n-th call meets ``STORM[n]`` first."""

    def __init__(self) -> None:
        self.calls = 0
        self.codes: dict[str, str] = {}
        self.created: Counter[str] = Counter()
        self.create_calls: Counter[str] = Counter()
        self.refusals_answered: Counter[str] = Counter()
        self.points: dict[str, int] = {}

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        fault = STORM[self.calls] if self.calls < len(STORM) else "ok"
        self.calls += 1
        if fault == "429":
            message = (
                "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
            )
            return 429, {"Retry-After": "2.0"}, json.dumps({"errors": message})
        if fault == "throttled":
            return 200, {}, json.dumps(THROTTLED)
        if fault == "503":
            return 503, {}, "Service Unavailable"
        if fault == "connection reset":
            raise requests.ConnectionError(
                "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
            )
        body = json.loads(request.body)
        answer = self.serve(body["query"], body["variables"])
        if fault == "lost answer":
            raise requests.ReadTimeout("HTTPSConnectionPool: Read timed out. (read timeout=10)")
        for refusal in (answer.get("discountCodeBasicCreate") or {}).get("userErrors") or []:
            self.refusals_answered[body["variables"]["discount"]["code"]] += refusal["code"] == "INVALID"
        return 200, {}, json.dumps({"data": answer})

    def serve(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "codeDiscountNodeByCode" in query:
            found = self.codes.get(variables["code"])
            return {"codeDiscountNodeByCode": {"id": found} if found else None}
        if "discountCodeBasicCreate" in query:
            discount = variables["discount"]
            code = discount["code"]
            self.create_calls[code] += 1
            errors = []
            if discount["title"] == "refused":
                errors = [{"field": ["basicCodeDiscount", "title"], "code": "INVALID", "message": "Title is invalid"}]
            elif code in self.codes:
                errors = [{"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique"}]
            else:
                self.codes[code] = f"gid://shopify/DiscountCodeNode/{len(self.codes) + 1}"
                self.created[code] += 1
            node = None if errors else {"id": self.codes[code]}
            return {"discountCodeBasicCreate": {"codeDiscountNode": node, "userErrors": errors}}
        if "metafieldsSet" in query:
            for field in variables["metafields"]:
                self.points[field["ownerId"].rsplit("/", 1)[1]] = int(field["value"])
            return {"metafieldsSet": {"metafields": [{"id": "gid://shopify/Metafield/1"}], "userErrors": []}}
        raise AssertionError(f"a call this test did not expect: {query[:80]}")


def run_until_quiet(storage: Storage, redis: Redis, rounds: int = 40) -> int:
    """Run jobs, then move time on so the retries the store asked for fall due, until nothing is left."""
    for n in range(rounds):
        drain(redis)
        with storage.session() as session:
            if not session.scalars(select(Push).where(Push.status.in_(["pending", "running"]))).first():
                return n
        an_hour_later(redis)
        pushes.sweep(storage, event_queue(redis), grace_seconds=0)
    raise AssertionError("pushes still pending after the storm")


def test_every_push_lands_exactly_once_through_a_storm_and_a_refusal_is_kept_for_admins(
    client: FlaskClient, shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    store = StormyShopify()
    responses.add_callback(responses.POST, GRAPHQL, callback=store)
    customers = [str(115310627314723954 + n) for n in range(4)]
    for n, customer in enumerate(customers):
        order = paid_shopify_order(id=9000 + n, customer={"id": int(customer), "email": f"m{n}@example.com"})
        assert post_shopify(client, shopify_shop, "orders/paid", order).status_code == 200
    drain(redis)  # the members now exist; their write-backs meet the storm already
    codes = {}
    for n, customer in enumerate(customers):
        title = "refused" if n == 3 else f"Thank you {n}"
        answer = client.post(
            f"/admin/api/shops/{shopify_shop.id}/customers/{customer}/codes",
            json={"kind": "fixed_amount", "value": "5.00", "days": 30, "title": title, "key": f"storm-{n}"},
            headers=AUTH,
        )
        assert answer.status_code == 202, answer.get_json()
        codes[customer] = answer.get_json()["code"]

    run_until_quiet(storage, redis)

    assert store.calls > len(STORM)  # every push met the storm
    assert store.created == Counter({codes[c]: 1 for c in customers[:3]})  # once each, the lost answers included
    assert store.points == dict.fromkeys(customers, 404)
    with storage.session() as session:
        outcome = Counter((p.kind, p.status) for p in session.scalars(select(Push)))
    assert outcome == Counter(
        {
            ("customer_sync", "done"): 4,
            ("discount_code", "done"): 3,
            ("discount_code", "failed"): 1,
            ("email", "done"): 3,  # each code the store created, e-mailed once (to the local mailbox)
        }
    )

    failed = client.get(f"/admin/api/shops/{shopify_shop.id}/pushes?status=failed", headers=AUTH).get_json()
    [shown] = failed["pushes"]
    assert shown["last_error"] == "Shopify refused: basicCodeDiscount.title: Title is invalid"
    refused_code = codes[customers[3]]
    assert store.refusals_answered[refused_code] == 1  # heard once, and that was final

    tried = store.create_calls[refused_code]
    run_until_quiet(storage, redis)  # and later on: nothing more is sent for it
    an_hour_later(redis)
    drain(redis)
    assert store.create_calls[refused_code] == tried
