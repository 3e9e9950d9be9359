"""Referrals with real WooCommerce and Shopify payloads: a member's link, the friend's claim (or a refusal
with its reason), the friend's paid order (the welcome code in coupon_lines / discount_codes), the hold,
the reward, and its reversal; every path repeated and reordered counts once."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.config import Config
from connector.db.referrals import ReferralClaim
from connector.db.storage import Storage
from connector.db.tables import LedgerEntry, Shop, utcnow
from connector.ops.shops import change_settings
from connector.outbox import mail
from connector.settle import door
from connector.settle.growth import referrals
from tests.support import AUTH, drain, fixture, paid_shopify_order, post_shopify, post_woo

API = "https://woo.example.com/wp-json/wc/v3"
REFERRALS = {
    "enabled": True,
    "friend_reward": {"kind": "amount", "value": "10", "days": 30},
    "referrer_points": 500,
    "hold_days": 14,
    "max_claims_per_address_per_week": 10,
}
ANNA = {"id": 25, "email": "anna.smith@gmail.com", "first_name": "Anna", "last_name": "Smith", "role": "customer",
        "username": "anna.smith"}  # fmt: skip
ANNAS_HOME = {"first_name": "Anna", "last_name": "Smith", "company": "", "address_1": "12 Linden Lane", "address_2": "",
              "city": "Portland", "state": "OR", "postcode": "97201", "country": "US"}  # fmt: skip


def store_answers() -> None:
    """WooCommerce's documented answers to creating a coupon (the welcome code) and adding a note."""
    responses.get(f"{API}/coupons", json=[])
    responses.post(f"{API}/coupons", json={"id": 700}, status=201)
    responses.post(f"{API}/orders/728/notes", json={"id": 1}, status=201)


@pytest.fixture
def anna(client: FlaskClient, woo_shop: Shop, storage: Storage, redis: Redis) -> str:
    """A member with an account (WooCommerce customer.created); returns the path of her referral link."""
    change_settings(storage, woo_shop.id, {"referrals": REFERRALS, "sync_customers": False})
    post_woo(client, woo_shop, "customer.created", ANNA)
    drain(redis)
    view = client.get(f"/admin/api/shops/{woo_shop.id}/customers/25", headers=AUTH).get_json()
    assert view["referral_url"].startswith(f"http://127.0.0.1:8000/r/{woo_shop.handle}/")
    return view["referral_url"].removeprefix("http://127.0.0.1:8000")


def claim(client: FlaskClient, link: str, email: str) -> Any:
    """The friend's claim; every claim, accepted or refused, gets the same answer."""
    answer = client.post(link, json={"email": email}, headers={"Accept": "application/json"})
    if "@" in email:
        assert (answer.status_code, answer.get_json()) == (202, {"status": "check_your_inbox"})
    return answer


def codes_in_inbox(config: Config, email: str) -> list[str]:
    """The welcome codes e-mailed to ``email`` (the local mailbox, as no SMTP server is set), newest first."""
    return [
        code
        for kept in mail.kept_messages(config, limit=10_000)
        if email.lower() in kept.to.lower()
        for code in re.findall(r"SDK-[A-Z2-7]{10}", kept.text)[:1]
    ]


def claim_code(client: FlaskClient, config: Config, redis: Redis, link: str, email: str) -> str | None:
    """Claim for ``email`` and read the code the friend then finds in their inbox (None: no new code)."""
    before = len(codes_in_inbox(config, email))
    claim(client, link, email)
    drain(redis)
    after = codes_in_inbox(config, email)
    return after[0] if len(after) > before else None


def friend_order(code: str, email: str = "friend@example.com", **changes: Any) -> dict[str, Any]:
    """WooCommerce's sample order, placed by the friend with their welcome code."""
    order = copy.deepcopy(fixture("woocommerce/order_created.json"))
    order.update(id=728, number="728", customer_id=0)
    order["billing"] = order["billing"] | {"email": email, "first_name": "Fran", "last_name": "Friend"}
    order["coupon_lines"] = [
        {"id": 1, "code": code.lower(), "discount": "10.00", "discount_tax": "0.00", "meta_data": []}
    ]
    order.update(changes)
    return order


def claims(client: FlaskClient, shop: Shop) -> list[dict[str, Any]]:
    return client.get(f"/admin/api/shops/{shop.id}/referrals", headers=AUTH).get_json()["referrals"]


def referral_points(storage: Storage) -> list[int]:
    with storage.session() as session:
        return list(
            session.scalars(select(LedgerEntry.points).where(LedgerEntry.kind == "referral").order_by(LedgerEntry.id))
        )


def release(storage: Storage, shop: Shop, days: int) -> None:
    later = utcnow() + timedelta(days=days)
    with storage.session() as session:
        release_now = door.Step(
            session.get(Shop, shop.id), lambda s, shop: door.Applied(referrals.release_held(s, shop, later))
        )
        door.settle(session, release_now)


def test_claim_then_paid_order_then_hold_then_reward_once(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    code = claim_code(client, config, redis, anna, "Fran.Friend@example.com")
    assert code is not None
    assert claim_code(client, config, redis, anna, "fran.friend@example.com") is None  # a repeat: no new code
    created = [c for c in responses.calls if c.request.method == "POST" and c.request.url.endswith("/coupons")]
    assert len(created) == 1 and code in created[0].request.body.decode()
    assert '"email_restrictions": ["fran.friend@example.com"]' in created[0].request.body.decode()
    order = friend_order(code, "fran.friend@example.com")
    post_woo(client, woo_shop, "order.updated", order)
    post_woo(client, woo_shop, "order.updated", order)  # delivered twice
    drain(redis)
    [held] = [c for c in claims(client, woo_shop) if c["status"] != "refused"]
    assert (held["status"], held["order_id"], held["order_total"]) == ("held", "728", "29.35")
    release(storage, woo_shop, 13)
    assert referral_points(storage) == []
    release(storage, woo_shop, 15)
    release(storage, woo_shop, 16)
    assert referral_points(storage) == [500]
    view = client.get(f"/admin/api/shops/{woo_shop.id}/customers/25", headers=AUTH).get_json()
    assert view["points"] == 500
    figures = client.get(f"/admin/api/shops/{woo_shop.id}/metrics", headers=AUTH).get_json()["referrals"]
    assert figures == {"claims": 1, "conversions": 1, "conversion_rate": "1.0000", "referred_revenue": "29.35",
                       "points_paid": 500}  # fmt: skip
    # Refunded after the hold: the reward is taken back, once.
    post_woo(client, woo_shop, "order.updated", order | {"status": "refunded"})
    post_woo(client, woo_shop, "order.updated", order | {"status": "refunded"})
    drain(redis)
    assert referral_points(storage) == [500, -500]
    assert claims(client, woo_shop)[0]["status"] == "reversed"


def test_a_refund_within_the_hold_means_no_reward_whatever_the_order_of_arrival(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    code = claim_code(client, config, redis, anna, "fran@example.com")
    assert code is not None
    order = friend_order(code, "fran@example.com")
    post_woo(client, woo_shop, "order.updated", order | {"status": "refunded"})  # the later state arrives first
    post_woo(client, woo_shop, "order.updated", order)
    drain(redis)
    release(storage, woo_shop, 30)
    assert referral_points(storage) == []
    assert claims(client, woo_shop)[0]["status"] == "denied"


@pytest.mark.parametrize(
    "variant",
    [
        "Anna.Smith+promo@googlemail.com",
        "anna.smith@gmail.com.",
        '"anna.smith"@gmail.com',
        "anna.smith@\uff47mail.com",  # a full-width g
        "ANNA.SMITH@GMAIL.COM",
    ],
)
def test_the_referrer_under_any_spelling_of_her_address_is_refused_and_gets_no_code(
    client: FlaskClient, woo_shop: Shop, anna: str, redis: Redis, config: Config, variant: str
) -> None:
    store_answers()
    assert claim_code(client, config, redis, anna, variant) is None
    assert [(c["status"], c["reason"]) for c in claims(client, woo_shop)] == [("refused", "self")]
    assert not [c for c in responses.calls if c.request.method == "POST" and c.request.url.endswith("/coupons")]


def test_self_referral_is_refused_by_email_variant_and_by_shipping_address(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    assert claim_code(client, config, redis, anna, "Anna.Smith+promo@googlemail.com") is None
    own = fixture("woocommerce/order_created.json") | {"id": 800, "customer_id": 25, "shipping": ANNAS_HOME}
    own["billing"] = own["billing"] | {"email": "anna.smith@gmail.com"}
    post_woo(client, woo_shop, "order.updated", own)
    drain(redis)
    code = claim_code(client, config, redis, anna, "not.anna@example.com")
    assert code is not None
    post_woo(
        client,
        woo_shop,
        "order.updated",
        friend_order(code, "not.anna@example.com", shipping=ANNAS_HOME | {"address_1": "12 LINDEN  lane."}),
    )
    drain(redis)
    release(storage, woo_shop, 30)
    assert referral_points(storage) == []
    statuses = [(c["status"], c["reason"]) for c in claims(client, woo_shop)]
    assert statuses == [
        ("denied", "self-referral: the referrer placed the order"),
        ("refused", "self"),
    ]


def test_an_existing_customer_another_referrers_friend_and_too_many_claims_are_refused(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json"))  # John has bought
    drain(redis)
    for variant in ("John.Doe@example.com", "john.doe+promo@example.com", "john.doe@example.com."):
        assert claim_code(client, config, redis, anna, variant) is None
    change_settings(storage, woo_shop.id, {"referrals": REFERRALS | {"max_claims_per_address_per_week": 2}})
    assert claim_code(client, config, redis, anna, "one@example.com") is not None
    assert claim_code(client, config, redis, anna, "two@example.com") is not None
    assert claim_code(client, config, redis, anna, "three@example.com") is None
    assert claim(client, anna, "not-an-address").status_code == 400
    change_settings(storage, woo_shop.id, {"referrals": REFERRALS | {"enabled": False}})
    assert claim_code(client, config, redis, anna, "four@example.com") is None
    with storage.session() as session:
        reasons = sorted(c.reason for c in session.scalars(select(ReferralClaim)) if c.status == "refused")
    assert reasons == ["address_limit", "customer", "customer", "customer", "off"]
    created = [c for c in responses.calls if c.request.method == "POST" and c.request.url.endswith("/coupons")]
    assert len(created) == 2  # a refused claim creates no code


def test_an_existing_customer_who_ordered_with_a_code_claimed_under_another_address_earns_nothing(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    """The attack: claim for a fresh address, then have an existing customer (who owns it, or not) order."""
    store_answers()
    post_woo(client, woo_shop, "order.updated", fixture("woocommerce/order_created.json") | {"id": 500})
    drain(redis)
    code = claim_code(client, config, redis, anna, "someone.new@example.com")
    assert code is not None
    # John, a customer already, orders with it under his own address: not the friend it was sent to
    post_woo(client, woo_shop, "order.updated", friend_order(code, "john.doe@example.com"))
    drain(redis)
    release(storage, woo_shop, 30)
    assert referral_points(storage) == []
    [denied] = claims(client, woo_shop)
    assert (denied["status"], denied["reason"]) == (
        "denied",
        "the code was used by someone other than the friend it was sent to",
    )


def test_a_friend_who_had_paid_before_under_another_spelling_earns_the_referrer_nothing(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    code = claim_code(client, config, redis, anna, "fran@example.com")
    assert code is not None
    earlier = fixture("woocommerce/order_created.json") | {"id": 501, "number": "501", "customer_id": 0}
    earlier["billing"] = earlier["billing"] | {"email": "Fran+old@example.com"}
    post_woo(client, woo_shop, "order.updated", earlier)
    post_woo(client, woo_shop, "order.updated", friend_order(code, "fran@example.com"))
    drain(redis)
    release(storage, woo_shop, 30)
    assert referral_points(storage) == []
    [denied] = claims(client, woo_shop)
    assert denied["reason"] == "the friend was already a customer: they had paid for an earlier order"


def test_shopify_signup_points_and_a_referral_with_no_hold(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis, config: Config
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"referrals": REFERRALS | {"hold_days": 0}, "signup_points": 100})
    account = {"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob", "last_name": "Norman",
               "created_at": "2026-11-01T10:00:00-05:00", "state": "enabled", "verified_email": True}  # fmt: skip
    post_shopify(client, shop, "customers/create", account)
    post_shopify(client, shop, "customers/create", account)
    drain(redis)
    view = client.get(f"/admin/api/shops/{shop.id}/customers/706405506930370084", headers=AUTH).get_json()
    assert [(e["kind"], e["points"]) for e in view["entries"]] == [("signup", 100)]
    link = view["referral_url"].removeprefix("http://127.0.0.1:8000")
    graphql = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"
    responses.post(graphql, json={"data": {"codeDiscountNodeByCode": None}})
    responses.post(
        graphql,
        json={
            "data": {
                "discountCodeBasicCreate": {
                    "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/9"},
                    "userErrors": [],
                }
            }
        },
    )
    code = claim_code(client, config, redis, link, "john@example.com")
    assert code is not None
    order = paid_shopify_order(discount_codes=[{"code": code, "amount": "10.00", "type": "fixed_amount"}])
    post_shopify(client, shop, "orders/paid", order)
    drain(redis)
    view = client.get(f"/admin/api/shops/{shop.id}/customers/706405506930370084", headers=AUTH).get_json()
    assert sorted((e["kind"], e["points"]) for e in view["entries"]) == [("referral", 500), ("signup", 100)]
    post_shopify(client, shop, "orders/cancelled", order | {"cancelled_at": "2026-11-03T10:00:00-05:00"})
    drain(redis)
    assert referral_points(storage) == [500, -500]


def test_an_admin_grants_a_held_reward_early_or_denies_it(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    store_answers()
    code = claim_code(client, config, redis, anna, "fran@example.com")
    assert code is not None
    post_woo(client, woo_shop, "order.updated", friend_order(code, "fran@example.com"))
    drain(redis)
    [held] = claims(client, woo_shop)
    url = f"/admin/api/shops/{woo_shop.id}/referrals/{held['id']}"
    assert client.post(url + "/approve", headers=AUTH).get_json() == {"status": "granted"}
    again = client.post(url + "/deny", headers=AUTH)
    assert (again.status_code, again.get_json()["error"]) == (409, f"referral {held['id']} is granted, not held")
    assert referral_points(storage) == [500]
    assert client.post(f"/admin/api/shops/{woo_shop.id}/referrals/999/approve", headers=AUTH).status_code == 404


def test_the_friends_page_answers_a_customer_and_a_stranger_alike(
    client: FlaskClient, woo_shop: Shop, anna: str, redis: Redis, config: Config
) -> None:
    store_answers()
    page = client.get(anna).get_data(as_text=True)
    assert "Your friend invites you to woo.example.com: 10.00 off your first order." in page
    change_settings(client.application.extensions["sadakat"].storage, woo_shop.id, {"currency": "TRY"})
    turkish = client.get(anna, headers={"Accept-Language": "tr-TR,tr;q=0.9"}).get_data(as_text=True)
    assert "ilk siparişinizde ₺10,00 indirim" in turkish and '<html lang="tr" dir="ltr">' in turkish
    token = page.split('name="t" value="')[1].split('"')[0]
    got = client.post(anna, data={"email": "fran@example.com", "t": token})
    mine = client.post(anna, data={"email": "anna.smith@gmail.com", "t": token})
    assert got.status_code == mine.status_code == 202
    assert got.get_data(as_text=True) == mine.get_data(as_text=True)
    assert "Check your inbox" in got.get_data(as_text=True) and "SDK-" not in got.get_data(as_text=True)
    drain(redis)
    assert len(codes_in_inbox(config, "fran@example.com")) >= 1
    turkish = client.post(anna + "?lang=tr", data={"email": "gus@example.com", "t": token})
    assert turkish.status_code == 202 and "Gelen kutunuza bakın" in turkish.get_data(as_text=True)
    assert "Kodumu al" in client.get(anna).get_data(as_text=True), "the language chosen is remembered"
    expired = client.post(anna + "?lang=en", data={"email": "gus@example.com", "t": "1.forged"})
    assert expired.status_code == 400 and "This form has expired" in expired.get_data(as_text=True)
    assert client.get(f"/r/{woo_shop.handle}/nothing").status_code == 404


def test_the_referrals_page_lists_claims_and_grants_a_held_reward(
    client: FlaskClient, woo_shop: Shop, anna: str, storage: Storage, redis: Redis, config: Config
) -> None:
    from tests.support import form_csrf, login

    store_answers()
    code = claim_code(client, config, redis, anna, "fran@example.com")
    assert code is not None
    claim(client, anna, "anna.smith@gmail.com")
    post_woo(client, woo_shop, "order.updated", friend_order(code, "fran@example.com"))
    drain(redis)
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{woo_shop.id}/referrals").get_data(as_text=True)
    assert "fran@example.com" in page and "held" in page and "refused" in page
    held = next(c for c in claims(client, woo_shop) if c["status"] == "held")
    granted = client.post(
        f"/admin/shops/{woo_shop.id}/referrals/{held['id']}/approve", data={"csrf_token": form_csrf(page)}
    )
    assert granted.status_code == 302
    assert "The referrer&#39;s points are granted." in client.get(granted.headers["Location"]).get_data(as_text=True)
    assert referral_points(storage) == [500]
