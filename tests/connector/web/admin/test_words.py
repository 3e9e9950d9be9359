"""The admin pages show no internal identifier (a status, a kind, a rule, a segment's code name)."""

from __future__ import annotations

import html as markup
import re

import responses
from flask.testing import FlaskClient
from redis import Redis

from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.customers import segments
from connector.ops.shops import change_settings
from tests.support import AUTH, drain, form_csrf, login, paid_shopify_order, post_shopify

IDENTIFIERS = re.compile(
    r"\b(processed|pending|discarded|unmatched|discount_code|customer_sync|code_note|register_webhooks|"
    r"points_per_currency_unit|proportional_to_merchandise_refunded|reverse_remaining|admin_adjustment|"
    r"champions|at_risk|hibernating|potential|fixed_amount|free_shipping|first_order|every_nth_order|"
    r"order_over|random_over|delivery_problem|idle|busy|orders/paid|refunds/create)\b"
)
GRAPHQL = "https://sadakat-test.myshopify.com/admin/api/2026-01/graphql.json"


def visible(page: str) -> str:
    """The text a reader sees: no tags, attributes, scripts or styles, and not the technical details (a store's
    or a server's own message, quoted as it came, behind "Technical details")."""
    page = re.sub(r"<(script|style|details)\b.*?</\1>", " ", page, flags=re.S)
    return markup.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_admin_page_shows_an_internal_identifier(
    client: FlaskClient, offline_shopify_shop: Shop, storage: Storage, redis: Redis
) -> None:
    shop = offline_shopify_shop
    change_settings(storage, shop.id, {"tiers": [{"name": "Altın", "min_spend": "100"}],
                                       "gifts": [{"rule": "every_nth_order", "every": 3, "value": "5"}]})  # fmt: skip
    post_shopify(client, shop, "orders/paid", paid_shopify_order())
    post_shopify(client, shop, "orders/paid", {"id": "broken", "line_items": "none"})
    drain(redis)
    responses.post(GRAPHQL, status=403, json={"errors": "[API] This action requires merchant approval."})
    client.post(f"/admin/api/shops/{shop.id}/customers/115310627314723954/codes", json={"value": 5}, headers=AUTH)
    drain(redis)
    segments.roll_up(storage, shop.id)
    assert login(client).status_code == 302
    token = form_csrf(client.get("/admin/").get_data(as_text=True))
    client.post("/admin/language", data={"lang": "tr", "csrf_token": token, "next": "/admin/"})
    listed = client.get(f"/admin/shops/{shop.id}/customers").get_data(as_text=True)
    [customer] = re.findall(rf'href="(/admin/shops/{shop.id}/customers/\d+)"', listed)
    base = f"/admin/shops/{shop.id}"
    pages = ["/admin/", base, f"{base}/programme", f"{base}/customers", customer, f"{base}/events", f"{base}/care",
             f"{base}/referrals", "/admin/mail"]  # fmt: skip
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, url
        text = visible(answer.get_data(as_text=True))
        assert '<html lang="tr">' in answer.get_data(as_text=True), url
        found = [text[max(0, m.start() - 60) : m.end() + 20] for m in IDENTIFIERS.finditer(text)]
        assert found == [], f"{url} shows {found}"
