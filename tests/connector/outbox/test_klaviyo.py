"""Klaviyo: a shop turns it on with a private key Klaviyo accepts, and each member's loyalty profile and the
programme's events go out through Klaviyo's current API (mocked with its documented requests and answers)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from adapters.klaviyo.api import REVISION
from connector.db.storage import Storage
from connector.db.tables import Push, Shop, utcnow
from connector.ops.shops import change_settings
from tests.support import (
    AUTH,
    an_hour_later,
    drain,
    form_csrf,
    login,
    paid_shopify_order,
    post_shopify,
    sandbox_order,
    sandbox_webhook,
)

ACCOUNTS = "https://a.klaviyo.com/api/accounts"
EVENTS = "https://a.klaviyo.com/api/events"
PROFILE_IMPORT = "https://a.klaviyo.com/api/profile-import"
BULK_IMPORT = "https://a.klaviyo.com/api/profile-bulk-import-jobs"
KEY = "pk_live_0123456789abcdef"
TIERS = [{"name": "Bronze", "min_spend": "0"}, {"name": "Silver", "min_spend": "300"}]
ACCOUNT = {
    "data": [
        {
            "type": "account",
            "id": "AbC123",
            "attributes": {"public_api_key": "AbC123", "preferred_currency": "USD", "locale": "en-US"},
            "links": {"self": "https://a.klaviyo.com/api/accounts/AbC123/"},
        }
    ],
    "links": {"self": "https://a.klaviyo.com/api/accounts/"},
}
UNAUTHENTICATED = {
    "errors": [
        {
            "id": "5a7c6f0c-2a3b-4f5e-9c1d-0e2f3a4b5c6d",
            "status": 401,
            "code": "not_authenticated",
            "title": "Authentication credentials were not provided.",
            "detail": "Missing or invalid private key.",
            "source": {"pointer": "/data/"},
        }
    ]
}
PROFILE = {"data": {"type": "profile", "id": "01GDDKASAP8TKDDA2GRZDSVP4H", "attributes": {"email": "john@example.com"}}}


def turn_on(client: FlaskClient, shop: Shop) -> Any:
    responses.add(responses.GET, ACCOUNTS, json=ACCOUNT, status=200)
    return client.put(
        f"/admin/api/shops/{shop.id}/klaviyo", json={"enabled": True, "private_api_key": KEY}, headers=AUTH
    )


def sent(url: str) -> list[Any]:
    return [call.request for call in responses.calls if call.request.url == url]


def order(client: FlaskClient, shop: Shop, redis: Redis) -> None:
    post_shopify(client, shop, "orders/paid", paid_shopify_order(created_at=utcnow().isoformat()))
    drain(redis)


def test_a_bad_key_is_refused_at_save_with_klaviyos_reason(client: FlaskClient, offline_shopify_shop: Shop) -> None:
    responses.add(responses.GET, ACCOUNTS, json=UNAUTHENTICATED, status=401)
    path = f"/admin/api/shops/{offline_shopify_shop.id}/klaviyo"
    answer = client.put(path, json={"enabled": True, "private_api_key": "pk_wrong"}, headers=AUTH)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "private_api_key: Klaviyo refused the key: Missing or invalid private key."
    [check] = sent(ACCOUNTS)
    assert check.headers["Authorization"] == "Klaviyo-API-Key pk_wrong" and check.headers["revision"] == REVISION
    assert client.get(path, headers=AUTH).get_json() == {"enabled": False, "connected": False, "disabled_reason": None}
    assert client.put(path, json={"enabled": True}, headers=AUTH).status_code == 400  # no key yet


def test_profiles_and_events_go_to_klaviyo_and_the_key_is_never_shown(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    answer = turn_on(client, offline_shopify_shop)
    assert answer.status_code == 200 and answer.get_json() == {
        "enabled": True,
        "connected": True,
        "disabled_reason": None,
    }
    assert KEY not in json.dumps(
        client.get(f"/admin/api/shops/{offline_shopify_shop.id}/klaviyo", headers=AUTH).get_json()
    )
    responses.add(responses.POST, EVENTS, status=202)
    responses.add(responses.POST, PROFILE_IMPORT, json=PROFILE, status=201)
    order(client, offline_shopify_shop, redis)

    events = [json.loads(request.body) for request in sent(EVENTS)]
    metrics = [e["data"]["attributes"]["metric"]["data"]["attributes"]["name"] for e in events]
    assert metrics == ["Loyalty Points Earned", "Loyalty Tier Changed"]
    earned = events[0]["data"]
    assert earned["type"] == "event" and earned["attributes"]["properties"]["points"] == 404
    profile = earned["attributes"]["profile"]["data"]
    assert profile["type"] == "profile" and profile["attributes"]["email"] == "john@example.com"
    assert profile["attributes"]["external_id"] == "115310627314723954"
    properties = profile["attributes"]["properties"]
    assert properties["Loyalty Points"] == 404 and properties["Loyalty Tier"] == "Silver"
    assert properties["Loyalty Rewards Page"].endswith(f"/rewards/{offline_shopify_shop.handle}")
    assert set(properties) == {
        "Loyalty Points", "Loyalty Tier", "Loyalty Referral URL", "Loyalty Segment", "Loyalty Points Expiring",
        "Loyalty Points Expiring On", "Loyalty Rewards Page",
    }  # fmt: skip
    assert earned["attributes"]["unique_id"].startswith("msg_")
    [imported] = [json.loads(request.body) for request in sent(PROFILE_IMPORT)]
    assert imported["data"]["attributes"]["properties"]["Loyalty Points"] == 404
    for request in sent(EVENTS) + sent(PROFILE_IMPORT):
        assert request.headers["Authorization"] == f"Klaviyo-API-Key {KEY}"
        assert request.headers["revision"] == REVISION
        assert request.headers["content-type"] == "application/vnd.api+json"


def test_429_waits_as_long_as_klaviyo_asks_and_a_400_is_refused_with_its_errors(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    assert turn_on(client, offline_shopify_shop).status_code == 200
    responses.add(responses.POST, EVENTS, status=429, headers={"Retry-After": "3"}, json={"errors": []})
    responses.add(responses.POST, EVENTS, status=202)
    bad = {"errors": [{"id": "e1", "status": 400, "code": "invalid", "title": "Invalid input.",
                       "detail": "The phone number provided either does not exist or is ineligible to receive SMS",
                       "source": {"pointer": "/data/attributes/phone_number"}}]}  # fmt: skip
    responses.add(responses.POST, PROFILE_IMPORT, json=bad, status=400)
    order(client, offline_shopify_shop, redis)
    assert len(sent(EVENTS)) == 1  # throttled: waits
    an_hour_later(redis)
    drain(redis)
    assert len(sent(EVENTS)) == 2
    pushes = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/pushes?status=failed", headers=AUTH).get_json()
    [refused] = [p for p in pushes["pushes"] if p["kind"] == "event_delivery"]
    assert "Klaviyo refused it: The phone number provided either does not exist" in refused["last_error"]


def _letters(storage: Storage) -> list[str]:
    with storage.session() as session:
        return sorted(p.key.split(":", 1)[0] for p in session.scalars(select(Push).where(Push.kind == "email")))


@pytest.mark.parametrize("own_emails", [True, False])
def test_a_shop_that_writes_from_klaviyo_turns_sadakats_own_emails_off(
    client: FlaskClient, sandbox_shop: Shop, storage: Storage, redis: Redis, own_emails: bool
) -> None:
    emails = dict.fromkeys(("gift", "expiry_warning", "tier", "survey"), own_emails)
    gifts = [{"rule": "first_order", "kind": "percentage", "value": 10}]
    change_settings(storage, sandbox_shop.id, {"tiers": TIERS, "gifts": gifts, "emails": emails})
    request = sandbox_webhook(sandbox_shop, sandbox_order("o1", "400.00", "c-1"))
    assert client.post(request.path, data=request.body, headers=request.headers).status_code == 200
    drain(redis)
    # the gift's code and the tier move happen either way; only Sadakat's own letters about them are switched
    with storage.session() as session:
        assert session.scalars(select(Push.kind).where(Push.kind == "discount_code")).all() == ["discount_code"]
    assert _letters(storage) == (["deliver-email", "tier-reached"] if own_emails else [])


def test_many_members_profiles_go_in_one_bulk_import(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    assert turn_on(client, offline_shopify_shop).status_code == 200
    responses.add(responses.POST, EVENTS, status=202)
    counts = {"status": "queued", "total_count": 3, "completed_count": 0, "failed_count": 0}
    job = {"data": {"type": "profile-bulk-import-job", "id": "ZXhhbXBsZQ", "attributes": counts}}
    responses.add(responses.POST, BULK_IMPORT, json=job, status=202)
    customer = paid_shopify_order()["customer"]
    for n in range(3):
        buyer = customer | {"id": 500 + n, "email": f"buyer{n}@example.com"}
        post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order(id=3000 + n, customer=buyer))
    drain(redis)
    assert len(sent(EVENTS)) == 3 and sent(PROFILE_IMPORT) == []
    [bulk] = [json.loads(request.body) for request in sent(BULK_IMPORT)]
    assert bulk["data"]["type"] == "profile-bulk-import-job"
    profiles = bulk["data"]["attributes"]["profiles"]["data"]
    assert sorted(p["attributes"]["email"] for p in profiles) == [
        "buyer0@example.com",
        "buyer1@example.com",
        "buyer2@example.com",
    ]
    assert all(p["attributes"]["properties"]["Loyalty Points"] == 404 for p in profiles)
    pushes = client.get(f"/admin/api/shops/{offline_shopify_shop.id}/pushes", headers=AUTH).get_json()["pushes"]
    assert {p["status"] for p in pushes if p["kind"] == "event_delivery"} == {"done"}


def test_the_turkish_page_says_why_a_key_was_refused_in_turkish_with_klaviyos_reason(
    client: FlaskClient, offline_shopify_shop: Shop
) -> None:
    responses.add(responses.GET, ACCOUNTS, json=UNAUTHENTICATED, status=401)
    assert login(client).status_code == 302
    page = client.get(f"/admin/shops/{offline_shopify_shop.id}/connections")
    client.post(
        "/admin/language", data={"csrf_token": form_csrf(page.get_data(as_text=True)), "lang": "tr", "next": "/admin"}
    )
    token = form_csrf(client.get(f"/admin/shops/{offline_shopify_shop.id}/connections").get_data(as_text=True))
    form = {"csrf_token": token, "enabled": "on", "private_api_key": "pk_wrong"}
    refused = client.post(f"/admin/shops/{offline_shopify_shop.id}/connections/klaviyo", data=form)
    assert refused.status_code == 400
    said = refused.get_data(as_text=True)
    assert "Klaviyo anahtarı kabul etmedi. Klaviyo&#39;nun yanıtı: Missing or invalid private key." in said
    bad_url = {"csrf_token": token, "url": "http://example.com/hooks"}
    answer = client.post(f"/admin/shops/{offline_shopify_shop.id}/connections/webhooks", data=bad_url)
    assert answer.status_code == 400 and "Adres https:// ile başlamalı." in answer.get_data(as_text=True)
