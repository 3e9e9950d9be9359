"""The admin JSON API and /healthz."""

import dataclasses

from flask.testing import FlaskClient
from redis import Redis

from connector import create_app
from connector.config import Config
from connector.db.tables import Shop
from tests.support import AUTH, drain, paid_shopify_order, post_shopify


def test_customer_view_needs_the_bearer_token(client: FlaskClient, shopify_shop: Shop) -> None:
    url = f"/admin/api/shops/{shopify_shop.id}/customers/123"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic dGVzdA=="}).status_code == 401
    assert client.get("/admin/api/shops").status_code == 401


def test_admin_is_closed_when_no_token_is_configured(config: Config) -> None:
    app = create_app(dataclasses.replace(config, admin_token=None))
    response = app.test_client().get("/admin/api/shops", headers=AUTH)
    assert response.status_code == 401
    assert "SADAKAT_ADMIN_TOKEN" in response.get_json()["error"]


def test_unknown_shop_or_customer_is_404_with_a_reason(client: FlaskClient, shopify_shop: Shop) -> None:
    missing_shop = client.get("/admin/api/shops/999/customers/1", headers=AUTH)
    assert (missing_shop.status_code, missing_shop.get_json()["error"]) == (404, "no shop 999")
    missing = client.get(f"/admin/api/shops/{shopify_shop.id}/customers/nobody@example.com", headers=AUTH)
    assert missing.status_code == 404
    assert "nobody@example.com" in missing.get_json()["error"]


def test_customer_view_shows_points_and_entries(client: FlaskClient, shopify_shop: Shop, redis: Redis) -> None:
    post_shopify(client, shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    body = client.get(f"/admin/api/shops/{shopify_shop.id}/customers/115310627314723954", headers=AUTH).get_json()
    assert body["points"] == 404
    assert body["customer"]["email"] == "john@example.com"
    entry = body["entries"][0]
    assert {"kind", "points", "created_at", "source"} <= set(entry)


def test_shop_list_shows_webhook_urls_and_no_secrets(client: FlaskClient, shopify_shop: Shop, woo_shop: Shop) -> None:
    shops = client.get("/admin/api/shops", headers=AUTH).get_json()["shops"]
    assert [s["webhook_url"] for s in shops] == [
        "http://127.0.0.1:8000/webhooks/shopify",
        f"http://127.0.0.1:8000/webhooks/woocommerce/{woo_shop.id}",
    ]
    assert "secret" not in str(shops)


def test_healthz_reports_database_redis_and_that_no_worker_is_running(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "redis": "ok",
            "workers": "none seen in the last minute",
            "scheduler": "none seen in the last minute",
        },
    }


def test_healthz_is_503_and_names_what_is_down(config: Config) -> None:
    app = create_app(dataclasses.replace(config, redis_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("unreachable")
    assert response.get_json()["checks"]["database"] == "ok"
