"""Shopify store credit as a reward, with real Shopify payloads and answers shaped as Shopify documents them:
points redeemed for credit exactly once, tier cashback on paid orders taken back by refunds and
cancellations (never beyond what the account holds), a permanent refusal giving the points back once, and
WooCommerce (no store credit) refused by name with nothing saved."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient
from graphql import build_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode
from redis import Redis
from sqlalchemy import select

from connector.config import Config
from connector.db.storage import Storage
from connector.db.store_credit import StoreCreditMovement
from connector.db.tables import LedgerEntry, Shop
from connector.ops.shops import change_settings
from connector.outbox import mail
from tests.support import AUTH, SHOPIFY_SCHEMA, drain, paid_shopify_order, post_shopify, shopify_refund

RECENT = (datetime.now(UTC) - timedelta(days=3)).isoformat()
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
JOHN = "115310627314723954"
SCHEMA = build_schema(SHOPIFY_SCHEMA.read_text(), assume_valid=True)
PROGRAMME = {
    "currency": "USD",
    "earn_rate": "3",
    "redemption": {"reward": "store_credit", "credit_days": 365, "points_per_unit": 100, "minimum_points": 500},
    "tiers": [{"name": "Gold", "min_spend": "100", "cashback_percent": "2"}],
}


class FakeShopifyCredit:
    """Shopify's Admin API for store credit, as documented: each mutation answers its payload with
    ``storeCreditAccountTransaction`` and ``userErrors``; the account's balance moves; an ``@idempotent``
    key seen before moves nothing again. Every request is checked against the 2026-01 schema."""

    def __init__(self) -> None:
        self.balance = Decimal(0)
        self.keys: dict[str, str] = {}
        self.refuse: dict[str, Any] | None = None
        self.lock = threading.Lock()
        self.moves: list[tuple[str, Decimal]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        document = parse(body["query"])
        assert validate(SCHEMA, document) == []
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        coerced = get_variable_values(SCHEMA, operation.variable_definitions or [], body["variables"])
        assert not isinstance(coerced, list), [str(e) for e in coerced]
        variables = body["variables"]
        name = operation.name.value if operation.name else ""
        with self.lock:
            if name == "CustomerStoreCredit":
                nodes = [{"id": "gid://shopify/StoreCreditAccount/1",
                          "balance": {"amount": str(self.balance), "currencyCode": "USD"}}]  # fmt: skip
                data = {"customer": {"id": variables["id"], "storeCreditAccounts": {"nodes": nodes}}}
                return 200, {}, json.dumps({"data": data})
            field = "storeCreditAccountCredit" if name == "StoreCreditAccountCredit" else "storeCreditAccountDebit"
            if self.refuse is not None:
                return 200, {}, json.dumps({"data": {field: {"storeCreditAccountTransaction": None,
                                                             "userErrors": [self.refuse]}}})  # fmt: skip
            key = variables["key"]
            if key not in self.keys:
                money = variables["creditInput"]["creditAmount"] if "creditInput" in variables else None
                money = money or variables["debitInput"]["debitAmount"]
                amount = Decimal(money["amount"])
                assert money["currencyCode"] == "USD"
                self.balance += amount if field == "storeCreditAccountCredit" else -amount
                self.keys[key] = f"gid://shopify/StoreCreditAccountTransaction/{len(self.keys) + 1}"
                self.moves.append((field, amount))
            transaction = {
                "id": self.keys[key],
                "amount": {"amount": "0", "currencyCode": "USD"},
                "account": {"id": "gid://shopify/StoreCreditAccount/1",
                            "balance": {"amount": str(self.balance), "currencyCode": "USD"}},
            }  # fmt: skip
            return 200, {}, json.dumps({"data": {field: {"storeCreditAccountTransaction": transaction,
                                                         "userErrors": []}}})  # fmt: skip


@pytest.fixture
def shopify(offline_shopify_shop: Shop) -> FakeShopifyCredit:
    fake = FakeShopifyCredit()
    responses.add_callback(responses.POST, GRAPHQL, callback=fake)
    return fake


@pytest.fixture
def member(client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis) -> Shop:
    """John, a Shopify customer with an order paid (points to redeem) on a store-credit programme."""
    change_settings(storage, offline_shopify_shop.id, PROGRAMME)
    post_shopify(
        client,
        offline_shopify_shop,
        "orders/paid",
        paid_shopify_order(id=1001, name="#1001", created_at=RECENT, test=False),
    )
    drain(redis)
    return offline_shopify_shop


def redeem(client: FlaskClient, shop: Shop, points: int, key: str) -> Any:
    headers = {"Authorization": f"Bearer {shop.customer_api_key}"}
    return client.post(f"/api/shops/{shop.id}/customers/{JOHN}/redeem", json={"points": points, "key": key},
                       headers=headers)  # fmt: skip


def balance(client: FlaskClient, shop: Shop) -> int:
    return int(client.get(f"/admin/api/shops/{shop.id}/customers/{JOHN}", headers=AUTH).get_json()["points"])


def test_redeeming_points_credits_the_customers_store_credit_once(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, config: Config
) -> None:
    before = balance(client, member)
    first = redeem(client, member, 500, "k1")
    assert first.status_code == 201
    body = first.get_json()
    assert {k: body[k] for k in ("reward", "amount", "currency", "points")} == {
        "reward": "store_credit", "amount": "5.00", "currency": "USD", "points": 500}  # fmt: skip
    again = redeem(client, member, 500, "k1")
    assert again.status_code == 200 and again.get_json()["amount"] == "5.00"
    drain(redis)
    drain(redis)
    assert shopify.moves == [("storeCreditAccountCredit", Decimal("5.00"))]
    assert balance(client, member) == before - 500
    [letter] = [m for m in mail.kept_messages(config, limit=50) if "store credit" in m.subject]
    assert letter.subject == "$5.00 added to your store credit at sadakat-test.myshopify.com"


def test_twenty_redeems_at_once_never_spend_more_than_the_balance(
    server_url: str, member: Shop, shopify: FakeShopifyCredit, client: FlaskClient, redis: Redis
) -> None:
    start = balance(client, member)
    answers: list[int] = []

    def one(n: int) -> None:
        answer = requests.post(
            f"{server_url}/api/shops/{member.id}/customers/{JOHN}/redeem",
            json={"points": 500, "key": f"parallel-{n}"},
            headers={"Authorization": f"Bearer {member.customer_api_key}"},
            timeout=30,
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drain(redis)
    granted = answers.count(201)
    assert granted == start // 500 and set(answers) <= {201, 400}
    assert balance(client, member) == start - 500 * granted >= 0
    assert [amount for _, amount in shopify.moves] == [Decimal("5.00")] * granted


def test_a_permanent_refusal_gives_the_points_back_once_and_tells_the_customer(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, storage: Storage, config: Config
) -> None:
    before = balance(client, member)
    shopify.refuse = {"field": ["id"], "code": "OWNER_NOT_FOUND", "message": "Owner does not exist"}
    assert redeem(client, member, 500, "gone").status_code == 201
    drain(redis)
    drain(redis)
    assert balance(client, member) == before
    with storage.session() as session:
        rules = session.scalars(select(LedgerEntry.rule).where(LedgerEntry.kind == "adjustment")).all()
        status = session.scalar(select(StoreCreditMovement.status))
    assert rules == ["store_credit_refused"] and status == "refused"
    assert any("points are back" in m.subject for m in mail.kept_messages(config, limit=50))


def test_gold_cashback_on_a_paid_order_half_refund_then_cancel_takes_back_only_what_stands(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, storage: Storage
) -> None:
    shop = member  # John is Gold after his first order ($404.95)
    assert client.get(f"/admin/api/shops/{shop.id}/customers/{JOHN}", headers=AUTH).get_json()["tier"] == "Gold"
    order = paid_shopify_order(id=2002, name="#2002", created_at=RECENT, test=False)
    post_shopify(client, shop, "orders/paid", order)
    post_shopify(client, shop, "orders/paid", order)  # delivered twice
    drain(redis)
    drain(redis)
    with storage.session() as session:
        [credit] = session.scalars(select(StoreCreditMovement)).all()
    basis = credit.amount
    assert credit.reason == "cashback" and credit.status == "done" and basis > 0
    half = str((Decimal(order["line_items"][0]["price"]) / 2).quantize(Decimal("0.01")))
    post_shopify(client, shop, "refunds/create", shopify_refund(order, 7001, half))
    drain(redis)
    drain(redis)
    with storage.session() as session:
        [first_debit] = session.scalars(select(StoreCreditMovement).where(StoreCreditMovement.direction == "debit"))
        merchandise = Decimal(order["line_items"][0]["price"]) * order["line_items"][0]["quantity"]
    share = Decimal(half) / Decimal(order["subtotal_price"])
    assert abs(first_debit.moved - basis * share) <= Decimal("0.01"), (first_debit.moved, basis, merchandise)
    post_shopify(client, shop, "orders/cancelled", order | {"cancelled_at": "2026-11-03T10:00:00-05:00"})
    drain(redis)
    drain(redis)
    with storage.session() as session:
        movements = session.scalars(select(StoreCreditMovement).order_by(StoreCreditMovement.id)).all()
    debits = [m.moved for m in movements if m.direction == "debit"]
    assert len(debits) == 2 and sum(debits, Decimal(0)) == basis and shopify.balance == 0


def test_a_debit_larger_than_the_account_is_capped_and_the_shortfall_recorded(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, storage: Storage
) -> None:
    shop = member
    order = paid_shopify_order(id=3003, name="#3003", created_at=RECENT, test=False)
    post_shopify(client, shop, "orders/paid", order)
    drain(redis)
    drain(redis)
    shopify.balance = Decimal("0.10")  # the customer spent most of it at checkout meanwhile
    post_shopify(client, shop, "orders/cancelled", order | {"cancelled_at": "2026-11-03T10:00:00-05:00"})
    drain(redis)
    drain(redis)
    with storage.session() as session:
        [debit] = session.scalars(select(StoreCreditMovement).where(StoreCreditMovement.direction == "debit")).all()
    assert debit.moved == Decimal("0.10") and debit.shortfall == debit.amount - Decimal("0.10")
    assert shopify.balance == 0
    view = client.get(f"/admin/api/shops/{shop.id}/customers/{JOHN}", headers=AUTH).get_json()
    assert view["store_credit"]["shortfall"] == str(debit.shortfall)


def test_a_woocommerce_shop_is_refused_store_credit_by_name_and_nothing_is_saved(
    client: FlaskClient, woo_shop: Shop, storage: Storage
) -> None:
    before = client.get(f"/admin/api/shops/{woo_shop.id}/settings", headers=AUTH).get_json()
    for changes, field in [
        ({"redemption": {"reward": "store_credit"}}, "redemption.reward"),
        ({"tiers": [{"name": "Gold", "min_spend": "10", "cashback_percent": "2"}]}, "tiers[1].cashback_percent"),
        ({"gifts": [{"rule": "birthday", "kind": "store_credit", "value": "5"}]}, "gifts[1].kind"),
    ]:
        answer = client.put(f"/admin/api/shops/{woo_shop.id}/settings", json=changes, headers=AUTH)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == f"{field}: WooCommerce has no store credit: use discount codes"
    assert client.get(f"/admin/api/shops/{woo_shop.id}/settings", headers=AUTH).get_json() == before


def signed_in(client: FlaskClient, shop: Shop) -> str:
    """John, signed in to the hosted rewards page through the store's own signed link."""
    now = str(int(time.time()))
    sig = hmac.new((shop.customer_api_key or "").encode(), f"{shop.id}:{JOHN}:{now}".encode(), hashlib.sha256)
    entered = client.get(f"/rewards/{shop.handle}", query_string={"customer": JOHN, "ts": now, "sig": sig.hexdigest()})
    assert entered.status_code == 303
    page = client.get(f"/rewards/{shop.handle}").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]


@pytest.mark.parametrize(("lang", "said"), [("en", "$5.00 added to your store credit"),
                                            ("tr", "Mağaza kredinize $5,00 eklendi")])  # fmt: skip
def test_the_rewards_page_says_the_credit_was_added_and_lists_it(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, lang: str, said: str
) -> None:
    csrf = signed_in(client, member)
    form = {"points": "500", "key": "page-1", "csrf": csrf, "lang": lang, "confirmed": "yes"}
    page = client.post(f"/rewards/{member.handle}/redeem?lang={lang}", data=form)
    assert page.status_code == 201 and said in page.get_data(as_text=True)
    assert 'id="new-code"' not in page.get_data(as_text=True)
    drain(redis)
    listed = client.get(f"/rewards/{member.handle}?lang={lang}").get_data(as_text=True)
    assert 'id="credits"' in listed and ("$5.00" if lang == "en" else "$5,00") in listed


def test_the_admin_sees_each_credit_and_the_shops_figures(
    client: FlaskClient, member: Shop, shopify: FakeShopifyCredit, redis: Redis, storage: Storage
) -> None:
    from tests.support import login

    redeem(client, member, 500, "k-admin")
    drain(redis)
    pushed = client.get(f"/admin/api/shops/{member.id}/pushes", headers=AUTH).get_json()["pushes"]
    credit = next(p for p in pushed if p["kind"] == "store_credit")
    assert (credit["amount"], credit["currency"], credit["status"]) == ("5.00", "USD", "done")
    figures = client.get(f"/admin/api/shops/{member.id}/metrics", headers=AUTH).get_json()["store_credit"]
    assert figures == {"issued": "5.00", "debited": "0.00", "shortfall": "0.00"}
    assert login(client).status_code == 302
    with storage.session() as session:
        customer_id = session.scalar(select(StoreCreditMovement.customer_id))
    page = client.get(f"/admin/shops/{member.id}/customers/{customer_id}").get_data(as_text=True)
    assert 'id="store-credit"' in page and "Points redeemed" in page and "5.00" in page
    shop_page = client.get(f"/admin/shops/{member.id}").get_data(as_text=True)
    assert "Store credit given / taken back" in shop_page


def test_a_shop_installed_before_the_scopes_gets_codes_until_it_approves_and_is_told(
    client: FlaskClient, member: Shop, storage: Storage, redis: Redis
) -> None:
    from click.testing import CliRunner

    from connector.cli import main

    with storage.session() as session:
        session.get(Shop, member.id).scopes = "read_orders,write_discounts"  # type: ignore[union-attr]
    responses.post(GRAPHQL, json={"data": {"codeDiscountNodeByCode": None}})
    answer = redeem(client, member, 500, "old-install").get_json()
    assert answer["reward"] == "discount_code" and answer["fallback"] is True and answer["code"].startswith("SDK-")
    doctor = CliRunner().invoke(main, ["doctor"]).output
    assert "has not approved write_store_credit_account_transactions" in doctor


def test_a_shop_added_by_hand_with_scopes_is_taken_at_its_word(
    client: FlaskClient, storage: Storage, config: Config
) -> None:
    from click.testing import CliRunner

    from connector.cli import main

    added = CliRunner().invoke(
        main,
        ["shops", "add", "shopify", "other-shop.myshopify.com", "--access-token", "shpat_y", "--webhook-secret", "s",
         "--scopes", "read_orders, write_discounts"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with storage.session() as session:
        shop = session.scalars(select(Shop).where(Shop.domain == "other-shop.myshopify.com")).one()
        assert shop.scopes == "read_orders,write_discounts"


def test_a_gift_of_store_credit_is_credited_once(
    client: FlaskClient, offline_shopify_shop: Shop, shopify: FakeShopifyCredit, redis: Redis, storage: Storage
) -> None:
    gifts = [{"rule": "first_order", "kind": "store_credit", "value": "7.50", "days": 90}]
    change_settings(storage, offline_shopify_shop.id, PROGRAMME | {"gifts": gifts})
    order = paid_shopify_order(id=4004, name="#4004", created_at=RECENT, test=False)
    post_shopify(client, offline_shopify_shop, "orders/paid", order)
    post_shopify(client, offline_shopify_shop, "orders/paid", order)
    drain(redis)
    drain(redis)
    assert shopify.moves == [("storeCreditAccountCredit", Decimal("7.50"))]
    with storage.session() as session:
        [gift] = session.scalars(select(StoreCreditMovement)).all()
    assert (gift.reason, gift.status, gift.expires_at is not None) == ("gift", "done", True)
