"""The same store events and member changes, settled through the front door, give exactly what the code before
it gave: the ledger, the pushes asked for and the letters written.

``front_door_before.json`` holds what the code before the front door (commit 2143766) gave for this scenario,
on real Shopify and WooCommerce payloads. Regenerate it only on purpose, when a change of behaviour is meant:
``SADAKAT_WRITE_REPLAY=1 pytest tests/connector/settle/test_front_door_replay.py``.
"""

from __future__ import annotations

import copy
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from connector import inbox
from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Push, Shop, TierChange, WebhookEvent
from connector.ops.shops import change_settings, register_shop
from connector.outbox import mail
from connector.settle import door, ledger
from tests.support import (
    AUTH,
    SHOPIFY_SECRET,
    fixture,
    paid_shopify_order,
    post_shopify,
    post_woo,
    shopify_refund,
)

BEFORE = Path(__file__).with_name("front_door_before.json")
JOHN = "115310627314723954"
MEMBER_IDS = "|".join(  # where a member's row id shows in a key or payload
    rf"(?<={before})\d+" for before in ("customer:", "merge:", ":into:", "redeem:", "adjustment:", '"customer": ')
)
MEMBER_IDS += r'|(?<="customer_id": )\d+'
RECENT = (datetime.now(UTC) - timedelta(days=3)).isoformat()
PROGRAMME = {
    "earn_rate": "2",
    "tiers": [{"name": "Gold", "min_spend": "300", "multiplier": "2", "cashback_percent": "5"}],
    "gifts": [{"rule": "first_order", "kind": "percentage", "value": "10", "days": 30}],
    "signup_points": 25,
}


def _settle_pending(storage: Storage, shop: Shop) -> None:
    with storage.session() as session:
        ids = list(
            session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.shop_id == shop.id, WebhookEvent.status == WebhookEvent.PENDING)
                .order_by(WebhookEvent.id)
            )
        )
    batch = inbox.process_batch(storage, ids)
    assert batch.errors == {} and batch.unstorable == {}


def _shopify_scenario(client: FlaskClient, storage: Storage, shop: Shop) -> None:
    customer = fixture("shopify/orders_create.json")["customer"]
    post_shopify(client, shop, "customers/create", customer)
    first = paid_shopify_order(created_at=RECENT)  # within the tiers' twelve months
    second = paid_shopify_order(id=820982911946154600, name="#9999", order_number=9999, created_at=RECENT)
    post_shopify(client, shop, "orders/paid", first)
    post_shopify(client, shop, "orders/paid", second)
    post_shopify(client, shop, "refunds/create", shopify_refund(first, 5001, "100.00"))
    post_shopify(client, shop, "fulfillments/create", fixture("shopify/fulfillments_create.json"))
    _settle_pending(storage, shop)  # one batch, settled together
    cancelled = copy.deepcopy(second) | {"cancelled_at": "2022-01-03T10:00:00-05:00", "cancel_reason": "customer"}
    post_shopify(client, shop, "orders/cancelled", cancelled)
    _settle_pending(storage, shop)  # and one event alone
    url = f"/admin/api/shops/{shop.id}/customers/{JOHN}"
    assert client.post(f"{url}/adjustments", json={"points": 40, "reason": "Goodwill", "key": "t-1"}, headers=AUTH)
    given = {"value": "10", "kind": "fixed_amount", "days": 30, "key": "care-1"}
    assert client.post(f"{url}/codes", json=given, headers=AUTH).status_code == 202


def _woo_scenario(client: FlaskClient, storage: Storage, shop: Shop) -> None:
    order = fixture("woocommerce/order_created.json")
    post_woo(client, shop, "order.created", order)
    _settle_pending(storage, shop)
    with storage.session() as session:
        key = session.get(Shop, shop.id).customer_api_key
    redeem = f"/api/shops/{shop.id}/customers/john.doe@example.com/redeem"
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post(redeem, json={"points": 500, "key": "r-1"}, headers=auth).status_code == 201
    refunded = copy.deepcopy(order) | {"refunds": [{"id": 726, "reason": "", "total": "-10.00"}]}
    post_woo(client, shop, "order.updated", refunded)
    _settle_pending(storage, shop)
    post_woo(client, shop, "order.deleted", {"id": order["id"]})
    _settle_pending(storage, shop)


def _outcome(storage: Storage, config: Config, shops: list[Shop], mail_before: set[str]) -> dict[str, Any]:
    """What members, the store and the customers' inboxes see, without row ids, codes or times."""
    codes: dict[str, str] = {}

    def plain(text: str) -> str:
        text = re.sub(r"\b\d{4}-\d\d-\d\d(T[\d:.+]+Z?)?", "<time>", text)
        return re.sub(r"\bSDK-[A-Z0-9]{10}\b", lambda m: codes.setdefault(m[0], f"<code {len(codes)}>"), text)

    found: dict[str, Any] = {}
    with storage.session() as session:
        for shop in shops:
            keys = {
                c.id: c.key for c in session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))
            }

            def named(text: str, keys: dict[int, str] = keys) -> str:
                text = re.sub(r"(?<=programme:)\d+", "<shop>", text)  # PostgreSQL's ids run on between tests
                return re.sub(MEMBER_IDS, lambda m: keys[int(m[0])], text)

            entries = session.scalars(
                select(LedgerEntry).where(LedgerEntry.shop_id == shop.id).order_by(LedgerEntry.id)
            )
            pushes = session.scalars(select(Push).where(Push.shop_id == shop.id).order_by(Push.id))
            tiers = session.scalars(select(TierChange).where(TierChange.shop_id == shop.id).order_by(TierChange.id))
            found[shop.platform] = {
                "ledger": [
                    [
                        plain(named(e.key)),
                        e.kind,
                        e.points,
                        keys[e.customer_id],
                        e.rule,
                        str(e.rate),
                        str(e.amount),
                        e.note,
                    ]
                    for e in entries
                ],
                "members": sorted(
                    [c.key, c.points, c.tier]
                    for c in session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))
                ),
                "tiers": [[keys[t.customer_id], t.from_tier, t.to_tier, str(t.spend), t.reason] for t in tiers],
                "pushes": sorted(
                    [
                        p.kind,
                        plain(named(p.key)),
                        plain(named(json.dumps(p.payload, sort_keys=True))),
                    ]
                    for p in pushes
                ),
            }
    written = [m for m in mail.kept_messages(config) if m.name not in mail_before]  # the mailbox is the run's
    found["letters"] = sorted(plain(f"{m.to} | {m.subject}") for m in written)
    return found


def test_settling_through_the_front_door_gives_what_the_code_before_it_gave(
    client: FlaskClient, storage: Storage, config: Config
) -> None:
    shopify = register_shop(
        storage, config, "shopify", "sadakat-test.myshopify.com", {"access_token": "shpat_x"}, SHOPIFY_SECRET
    )
    woo = register_shop(
        storage,
        config,
        "woocommerce",
        "https://woo.example.com",
        {"consumer_key": "k", "consumer_secret": "s"},
        "woo-webhook-secret",
    )
    change_settings(storage, shopify.id, PROGRAMME)
    change_settings(
        storage,
        woo.id,
        PROGRAMME | {"earn_rate": "30", "tiers": [{"name": "Gold", "min_spend": "300", "multiplier": "2"}]},
    )
    mail_before = {m.name for m in mail.kept_messages(config, limit=10**6)}
    _shopify_scenario(client, storage, shopify)
    _woo_scenario(client, storage, woo)
    now = _outcome(storage, config, [shopify, woo], mail_before)
    if os.environ.get("SADAKAT_WRITE_REPLAY"):
        BEFORE.write_text(json.dumps(now, indent=1, ensure_ascii=False) + "\n")
    assert now == json.loads(BEFORE.read_text())


def test_points_move_only_through_the_front_door(storage: Storage, config: Config) -> None:
    credentials = {"consumer_key": "k", "consumer_secret": "s"}
    shop = register_shop(storage, config, "woocommerce", "https://woo.example.com", credentials, "woo-webhook-secret")
    entry = ledger.NewEntry(key="k", kind="adjustment", points=5, source_type="admin", source_id="x", rule="test")
    with storage.session() as session:
        member = CustomerRecord(shop_id=shop.id, key="email:a@example.com", email="a@example.com")
        session.add(member)
        session.flush()
        with pytest.raises(ledger.OutsideTheDoor):
            ledger.append(session, shop.id, member.id, entry)
        through = door.settle(
            session, door.Step(shop, lambda s, shop: door.Applied(ledger.append(s, shop.id, member.id, entry)))
        )
        assert through.result is True and through.moved.members == {shop.id: {member.id}}


def test_syncs_and_tier_letters_are_asked_for_in_one_place() -> None:
    connector = Path(__file__).resolve().parents[3] / "connector"
    asking = {
        path.relative_to(connector).as_posix()
        for path in connector.rglob("*.py")
        if "pushes.request_customer_sync(" in (text := path.read_text()) or "senders.TIER_REACHED" in text
    }
    assert asking == {"settle/door.py"}
