"""The settling engine: a drain batch, settled set-wise in rounds, ends exactly as its events one at a time."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from adapters import get_adapter
from connector import inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, Push, Shop, TierChange, WebhookEvent
from connector.ops.shops import register_shop
from connector.settle import engine, ledger, orders
from jobs import events
from tests.support import (
    SANDBOX_SECRET,
    SHOPIFY_SECRET,
    WOO_SECRET,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
    sandbox_order,
    sandbox_webhook,
    shopify_refund,
)

SETTINGS = {"tiers": [{"name": "Gold", "min_spend": "150", "multiplier": "2"}]}


def buyer(customer: str | None, email: str) -> dict[str, Any]:
    return {"id": customer, "email": email, "first_name": "Ayşe", "last_name": "Y"}


BEFORE = [  # already processed when the batch arrives
    sandbox_order("g-x", "30.00") | {"customer": buyer(None, "x@example.com")},  # guest points under x@
    sandbox_order("o11", "40.00", "c-11"),  # an order already earned
    sandbox_order("o12", "80.00", "c-12", status="pending", refunds=[{"id": "r12", "amount": "20.00"}]),
    sandbox_order("o13a", "100.00", "c-13"),  # c-13 is 50 short of Gold
    sandbox_order("o15a", "10.00", "c-15") | {"customer": buyer("c-15", "old15@example.com")},
]
BATCH = [
    sandbox_order("o1", "100.00", "c-1"),
    sandbox_order("o2", "12.34", "c-2") | {"customer": buyer("c-2", "two@example.com")},
    sandbox_order("o3", "50.00", "c-3"),
    sandbox_order("o3", "50.00", "c-3"),  # the same order again under a new delivery id
    sandbox_order("o4", "60.00", "c-4"),
    sandbox_order("o5", "70.00", "c-4"),  # a second order of c-4
    sandbox_order("g-6", "25.00") | {"customer": buyer(None, "six@example.com")},
    sandbox_order("o6", "35.00", "c-6") | {"customer": buyer("c-6", "six@example.com")},  # that guest's account
    sandbox_order("o7", "45.00", "c-7", status="pending"),
    sandbox_order("o8", "90.00", "c-8", refunds=[{"id": "r8", "amount": "10.00"}]),
    sandbox_order("o9", "15.00", "c-9", status="cancelled"),
    sandbox_order("o10", "55.00", "c-10") | {"customer": buyer("c-10", "x@example.com")},  # joins guest points
    sandbox_order("o11", "40.00", "c-11"),
    sandbox_order("o12", "80.00", "c-12"),  # paid after its refund arrived
    sandbox_order("o13", "100.00", "c-13"),  # reaches Gold
    sandbox_order("o14", "0.40", "c-14"),  # earns nothing
    sandbox_order("g-15", "5.00") | {"customer": buyer(None, "old15@example.com")},  # c-15's e-mail until...
    sandbox_order("o15", "15.00", "c-15") | {"customer": buyer("c-15", "new15@example.com")},  # ...this
]
ORDER_FIELDS = ("order_id", "name", "currency", "merchandise_amount", "total", "paid", "cancelled", "fully_refunded")
ORDER_FIELDS += ("points_earned", "earn_rate", "placed_at", "test", "discount_codes", "shipping_amount", "tax_amount")
ROUNDS = [
    # Every event whose order, member and e-mail no earlier event of the batch touches, in one round...
    {"o1", "o2", "o3", "o4", "g-6", "o7", "o8", "o9", "o10", "o11", "o12", "o13", "o14", "g-15"},
    # ...then the second delivery of o3, c-4's second order, the account of the guest six@, and c-15's
    # order that changes the e-mail the guest order g-15 was placed under.
    {"o3", "o5", "o6", "o15"},
]


def post(client: FlaskClient, storage: Storage, shop: Shop, payloads: list[dict[str, Any]]) -> list[int]:
    for payload in payloads:
        request = sandbox_webhook(shop, payload)
        assert client.post(request.path, data=request.body, headers=request.headers).status_code == 200
    with storage.session() as session:
        return list(
            session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.shop_id == shop.id, WebhookEvent.status == "pending")
                .order_by(WebhookEvent.id)
            )
        )


def state(storage: Storage, shop: Shop) -> dict[str, Any]:
    """Everything an admin or member could see of the shop's programme, without row ids."""
    with storage.session() as session:
        keys = {c.id: c.key for c in session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))}

        def named(text: str) -> str:  # member ids inside keys, as the members' own keys
            return re.sub(r"(?<=customer:)\d+|(?<=merge:)\d+|(?<=:into:)\d+", lambda m: keys[int(m[0])], text)

        return {
            "ledger": sorted(
                (named(e.key), e.kind, e.points, keys[e.customer_id], e.rule, e.rate, e.amount, e.source_id)
                for e in session.scalars(select(LedgerEntry).where(LedgerEntry.shop_id == shop.id))
            ),
            "members": sorted(
                (c.key, c.email, c.first_name, c.last_name, c.points, c.tier, ledger.balance(session, c.id))
                for c in session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))
            ),
            "orders": sorted(
                (keys.get(o.customer_id), *(getattr(o, name) for name in ORDER_FIELDS))
                for o in session.scalars(select(OrderRecord).where(OrderRecord.shop_id == shop.id))
            ),
            "tiers": sorted(
                (keys[t.customer_id], t.from_tier, t.to_tier, t.spend, t.reason)
                for t in session.scalars(select(TierChange).where(TierChange.shop_id == shop.id))
            ),
            "pushes": sorted(
                (p.kind, named(p.key)) for p in session.scalars(select(Push).where(Push.shop_id == shop.id))
            ),
            "events": sorted(
                (e.status, e.error)
                for e in session.scalars(select(WebhookEvent).where(WebhookEvent.shop_id == shop.id))
            ),
        }


def test_a_batch_ends_exactly_as_the_same_events_one_at_a_time(
    client: FlaskClient, storage: Storage, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one = register_shop(storage, config, "sandbox", "one-by-one", {}, SANDBOX_SECRET, SETTINGS)
    batched = register_shop(storage, config, "sandbox", "batched", {}, SANDBOX_SECRET, SETTINGS)
    for shop in (one_by_one, batched):
        for event_id in post(client, storage, shop, BEFORE):
            inbox.process(storage, event_id)
    for event_id in post(client, storage, one_by_one, BATCH):
        inbox.process(storage, event_id)

    seen: list[list[engine.Item]] = []
    rounds = engine.rounds

    def watched(session: Any, items: list[engine.Item]) -> list[list[engine.Item]]:
        seen.extend(placed := rounds(session, items))
        return placed

    monkeypatch.setattr(engine, "rounds", watched)
    batch = post(client, storage, batched, BATCH)
    assert inbox.claim_fresh(storage, 200) == batch
    outcome = inbox.process_batch(storage, batch)
    assert (outcome.errors, outcome.unstorable) == ({}, {})

    assert state(storage, batched) == state(storage, one_by_one)
    assert [{item.event.order.id for item in round_ if item.event.order} for round_ in seen] == ROUNDS
    summary = state(storage, batched)
    assert ("c-13", None, "Gold", 200, "order") in [(*t[:3], int(t[3]), t[4]) for t in summary["tiers"]]
    assert ("order:o13:earned", "order", 100) in [e[:3] for e in summary["ledger"]]  # earned before reaching Gold


def test_when_settling_together_fails_every_event_is_applied_one_by_one(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    settle = orders.settle

    def broken(session: Any, shop: Shop, programme: Any, rows: list[Any], *more: Any) -> Any:
        settled = settle(session, shop, programme, rows, *more)  # its entries are in the savepoint undone
        if len(rows) > 1:
            raise RuntimeError("the bulk insert broke")
        return settled

    monkeypatch.setattr(orders, "settle", broken)
    batch = post(client, storage, sandbox_shop, [sandbox_order(f"o{n}", "10.00", f"c-{n}") for n in range(3)])
    with caplog.at_level(logging.ERROR):
        assert events.drain_events() == 3
    assert "applying them one by one" in caplog.text
    with storage.session() as session:
        assert {e.key: e.points for e in session.scalars(select(LedgerEntry))} == {
            f"order:o{n}:earned": 10 for n in range(3)
        }
        assert {c.key: c.points for c in session.scalars(select(CustomerRecord))} == {f"c-{n}": 10 for n in range(3)}
        assert [session.get(WebhookEvent, i).status for i in batch] == ["processed"] * 3


def test_an_adapter_bug_in_one_payload_leaves_the_rest_of_the_batch_settled(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = get_adapter("sandbox")
    parse = adapter.parse

    def buggy(topic: str, payload: dict[str, Any]) -> Any:
        if payload.get("id") == "o1":
            raise KeyError("a field the adapter forgot to check")
        return parse(topic, payload)

    monkeypatch.setattr(adapter, "parse", buggy)
    batch = post(client, storage, sandbox_shop, [sandbox_order(f"o{n}", "10.00", f"c-{n}") for n in range(3)])
    assert events.drain_events() == 3  # the drain itself doesn't fail
    with storage.session() as session:
        assert {e.key for e in session.scalars(select(LedgerEntry))} == {"order:o0:earned", "order:o2:earned"}
        broken = session.get(WebhookEvent, batch[1])
        assert (broken.status, broken.error) == ("pending", "KeyError: 'a field the adapter forgot to check'")


def _shopify_events() -> list[tuple[str, dict[str, Any]]]:
    first = paid_shopify_order()
    second = paid_shopify_order(id=820982911946154600, name="#1001", customer=None, email="guest@example.com")
    return [
        ("orders/paid", first),
        ("refunds/create", shopify_refund(first, 900, "120.00")),
        ("orders/paid", second),
        ("orders/cancelled", second | {"cancelled_at": "2026-11-30T10:00:00-05:00", "financial_status": "voided"}),
    ]


def _woo_events() -> list[tuple[str, dict[str, Any]]]:
    first = fixture("woocommerce/order_created.json")
    second = first | {"id": 728, "number": "728", "customer_id": 25, "billing": first["billing"] | {"email": "b@x.io"}}
    return [
        ("order.created", first),
        ("order.updated", first | {"refunds": [{"id": 70, "reason": "", "total": "-6.00"}]}),
        ("order.created", second),
        ("order.updated", second | {"status": "cancelled"}),
    ]


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_real_payloads_in_every_order_end_the_same_batched_or_one_at_a_time(
    client: FlaskClient, storage: Storage, config: Config, platform: str
) -> None:
    import itertools

    events = _shopify_events() if platform == "shopify" else _woo_events()
    if platform == "shopify":
        events_after = [("fulfillments/create", fixture("shopify/fulfillments_create.json"))]
    else:
        events_after = []
    for n, order in enumerate(itertools.permutations(range(len(events)))):
        shops = []
        for way in ("single", "batch"):
            if platform == "shopify":
                address, credentials, secret = f"p{n}-{way}.myshopify.com", {"access_token": "t"}, SHOPIFY_SECRET
            else:
                address, credentials = f"https://p{n}-{way}.example.com", {"consumer_key": "k", "consumer_secret": "s"}
                secret = WOO_SECRET
            shops.append(
                register_shop(storage, config, platform, address, credentials, secret, {"sync_customers": False})
            )
        for shop in shops:
            for index in order:
                topic, payload = events[index]
                post_any(client, shop, topic, payload)
            for topic, payload in events_after:
                post_any(client, shop, topic, payload)
        single, batched = shops
        with storage.session() as session:
            pending = {
                shop.id: list(
                    session.scalars(
                        select(WebhookEvent.id)
                        .where(WebhookEvent.shop_id == shop.id, WebhookEvent.status == "pending")
                        .order_by(WebhookEvent.id)
                    )
                )
                for shop in shops
            }
        for event_id in pending[single.id]:
            inbox.process(storage, event_id)
        outcome = inbox.process_batch(storage, pending[batched.id])
        assert (outcome.errors, outcome.unstorable) == ({}, {})
        assert state(storage, batched) == state(storage, single), f"events in the order {order}"


def post_any(client: FlaskClient, shop: Shop, topic: str, payload: dict[str, Any]) -> None:
    answer = (post_shopify if shop.platform == "shopify" else post_woo)(client, shop, topic, payload)
    assert answer.status_code == 200, answer.get_data(as_text=True)
