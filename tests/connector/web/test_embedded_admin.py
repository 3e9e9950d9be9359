"""Sadakat inside Shopify's admin: the entry page verifies Shopify's session token and may be framed by the
shop's admin only; every later request carries a session token (never a cookie) that reaches that shop alone,
as its owner, with the staff member as the actor; a customer's token, a wrong secret, another app's ``aud``,
an unknown shop, an expired token and ``alg: none`` are refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from connector.config import Config
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import register_shop
from tests.connector.web.test_customer_account_api import forged_none, token
from tests.support import WOO_SECRET

SHOP = "sadakat-test.myshopify.com"


def staff(shop: str = SHOP, **changes: Any) -> str:
    """A session token as Shopify's admin signs it for an embedded app: ``sub`` is the staff member."""
    return token(shop, customer=None, **({"sub": "42"} | changes))


def test_the_entry_page_is_the_shops_framed_by_its_admin_only(client: FlaskClient, offline_shopify_shop: Shop) -> None:
    answer = client.get("/shopify/admin", query_string={"shop": SHOP, "host": "YWRtaW4", "id_token": staff()})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert '<meta name="shopify-api-key" content="test-api-key">' in html
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in html
    assert f'data-embedded="/admin/shops/{offline_shopify_shop.id}"' in html
    policy = answer.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in policy
    assert "X-Frame-Options" not in answer.headers and "Set-Cookie" not in answer.headers
    assert "frame-ancestors 'none'" in client.get("/admin/login").headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "bad",
    [
        lambda: staff(secret="not-the-app-secret"),
        lambda: staff(aud="another-app"),
        lambda: staff(shop="not-installed.myshopify.com"),
        lambda: staff(exp=1_000, nbf=900),
        forged_none,
        lambda: token(),  # a customer's token opens nothing of the admin
    ],
)
def test_bad_session_tokens_are_refused(client: FlaskClient, offline_shopify_shop: Shop, bad: Any) -> None:
    entry = client.get("/shopify/admin", query_string={"shop": SHOP, "id_token": bad()})
    assert entry.status_code == 401
    api = client.get(
        f"/admin/api/shops/{offline_shopify_shop.id}/metrics", headers={"Authorization": f"Bearer {bad()}"}
    )
    assert api.status_code == 401


def test_a_staff_members_token_reaches_their_shop_only_and_names_them_in_the_trail(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, config: Config
) -> None:
    other = register_shop(
        storage,
        config,
        "woocommerce",
        "https://other.example.com",
        {"consumer_key": "k", "consumer_secret": "s"},
        WOO_SECRET,
    )
    bearer = {"Authorization": f"Bearer {staff()}"}
    shop_id = offline_shopify_shop.id
    assert client.get(f"/admin/shops/{shop_id}", headers=bearer).status_code == 200
    assert [s["id"] for s in client.get("/admin/api/shops", headers=bearer).get_json()["shops"]] == [shop_id]
    assert client.get(f"/admin/api/shops/{other.id}/metrics", headers=bearer).status_code == 404
    changed = client.put(f"/admin/api/shops/{shop_id}/settings", json={"earn_rate": "3"}, headers=bearer)
    assert changed.status_code == 200 and "Set-Cookie" not in changed.headers  # no CSRF cookie dance: a bearer
    [entry] = client.get(f"/admin/api/shops/{shop_id}/audit", headers=bearer).get_json()["entries"]
    assert entry["actor"] == f"Shopify staff 42 ({SHOP})" and entry["after"] == {"earn_rate": "3"}


def test_an_install_not_finished_goes_through_oauth_at_the_top(client: FlaskClient) -> None:
    answer = client.get(
        "/shopify/admin", query_string={"shop": "new-shop.myshopify.com", "id_token": staff("new-shop.myshopify.com")}
    )
    assert answer.status_code == 200
    assert 'data-install="/shopify/install?shop=new-shop.myshopify.com"' in answer.get_data(as_text=True)
