"""Every call Sadakat makes to a WooCommerce store: REST API wc/v3, to public addresses only
(``adapters.outbound``), signed with the ``woocommerce`` package's OAuth 1.0a for plain-http stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import HTTPBasicAuth
from woocommerce.oauth import OAuth

from adapters import outbound
from adapters.base import (
    PermanentStoreError,
    RetryableStoreError,
    ShopAccess,
    StoreError,
    email_field,
    retry_after_seconds,
)
from connector.model import CustomerSync, DiscountCode, TrackingPush

TRACKING_API = "wc-shipment-tracking/v3"
NOT_A_STORE = "the store did not answer as a WooCommerce store"


@dataclass(frozen=True)
class Client:
    """The REST API of one store under one API namespace, authenticated with the shop's consumer key."""

    url: str
    key: str
    secret: str
    allow_private: bool = False

    def request(self, method: str, endpoint: str, **kwargs: Any) -> requests.Response:
        """One call, to a public address only, following no redirect. Over https the key goes as Basic
        auth; over plain http WooCommerce wants the request signed with OAuth 1.0a in the query."""
        url, auth = self.url + endpoint, None
        params = kwargs.pop("params", None)
        if url.startswith("https://"):
            auth = HTTPBasicAuth(self.key, self.secret)
        else:
            query = f"?{urlencode(params)}" if params else ""
            url = OAuth(url + query, self.key, self.secret, method=method.upper()).get_oauth_url()
            params = None
        return outbound.session(self.allow_private).request(
            method.upper(),
            url,
            params=params,
            json=kwargs.pop("data", None),
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=outbound.TIMEOUT,
            allow_redirects=False,
        )

    def get(self, endpoint: str, **kwargs: Any) -> requests.Response:
        """``GET``."""
        return self.request("get", endpoint, **kwargs)


def client(shop: ShopAccess, version: str = "wc/v3") -> Client:
    """A REST client for the store, authenticated with the shop's consumer key and secret."""
    key, secret = shop.credentials.get("consumer_key"), shop.credentials.get("consumer_secret")
    if not key or not secret:
        raise PermanentStoreError(f"store {shop.domain} has no REST API key")
    return Client(f"{shop.base_url.rstrip('/')}/wp-json/{version}/", key, secret, shop.allow_private)


def call(api: Client, method: str, endpoint: str, **kwargs: Any) -> Any:
    """One request; its JSON on success, else a typed error with WooCommerce's message."""
    try:
        response = api.request(method, endpoint, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        if outbound.was_refused(exc):
            raise PermanentStoreError(f"{NOT_A_STORE}: its address is not a public internet address") from None
        raise RetryableStoreError(f"WooCommerce did not answer: {_reason(exc)}", 5) from None
    if response.status_code == 429 or response.status_code >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"), 5.0 if response.status_code >= 500 else 2.0)
        raise RetryableStoreError(
            f"WooCommerce: HTTP {response.status_code}", wait, throttled=response.status_code == 429
        )
    if 300 <= response.status_code < 400:
        raise PermanentStoreError(f"{NOT_A_STORE}: it answered with a redirect")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        if not isinstance(body, dict):
            raise PermanentStoreError(f"{NOT_A_STORE} (HTTP {response.status_code})")
        message, code = body.get("message"), body.get("code")
        raise PermanentStoreError(f"WooCommerce refused ({response.status_code} {code or ''}): {message}".strip())
    if body is None:
        raise PermanentStoreError(NOT_A_STORE)
    return body


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "it took too long"
    return "the address could not be found" if "NameResolution" in repr(exc) else "no connection could be made"


def store_profile(shop: ShopAccess) -> tuple[str | None, str | None]:
    """The store's currency (``GET settings/general/woocommerce_currency``) and the address its e-mails come
    from (``settings/email/woocommerce_email_from_address``: the site admin's unless the owner changed it; the
    REST keys can't read the site's users). A store that won't say its address is asked again next time."""
    setting = call(client(shop), "get", "settings/general/woocommerce_currency")
    code = setting.get("value") if isinstance(setting, dict) else None
    currency = code if isinstance(code, str) and code.isascii() and code.isalpha() else None
    try:
        sender = call(client(shop), "get", "settings/email/woocommerce_email_from_address")
    except StoreError:
        return currency, None
    return currency, email_field(sender.get("value") if isinstance(sender, dict) else None)


def disable_discount_code(shop: ShopAccess, store_id: str) -> None:
    """``PUT coupons/<id>`` with an expiry date in the past: WooCommerce refuses an expired coupon at checkout
    (and the coupon stays in the store's history)."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    call(client(shop), "put", f"coupons/{store_id}", data={"date_expires_gmt": yesterday})


def find_discount_code(shop: ShopAccess, code: str) -> str | None:
    """``GET coupons?code=``: the coupon's id if the store has it."""
    found = call(client(shop), "get", "coupons", params={"code": code})
    return str(found[0]["id"]) if isinstance(found, list) and found else None


def coupon_body(discount: DiscountCode) -> dict[str, Any]:
    """The ``POST coupons`` body: single use, for one e-mail address, alone in the cart."""
    body: dict[str, Any] = {
        "code": discount.code,
        "description": discount.title,
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "email_restrictions": [discount.email] if discount.email else [],
        "date_expires_gmt": discount.ends_at.strftime("%Y-%m-%dT%H:%M:%S") if discount.ends_at else None,
    }
    if discount.kind == "free_shipping":
        body |= {"discount_type": "fixed_cart", "amount": "0", "free_shipping": True}
    else:
        body |= {
            "discount_type": "percent" if discount.kind == "percentage" else "fixed_cart",
            "amount": str(discount.value),
        }
    return body


def create_discount_code(shop: ShopAccess, discount: DiscountCode) -> str:
    """``POST coupons``."""
    created = call(client(shop), "post", "coupons", data=coupon_body(discount))
    return str(created["id"])


def push_tracking(shop: ShopAccess, push: TrackingPush) -> str | None:
    """Tracking details through the Shipment Tracking extension (a customer note where it isn't installed);
    every status as a customer note, so WooCommerce e-mails it."""
    created_id = None
    if push.details_changed and push.tracking_number:
        tracking = {
            "tracking_number": push.tracking_number,
            "custom_tracking_provider": push.carrier or "",
            "custom_tracking_link": push.tracking_url or "",
        }
        try:
            created = call(
                client(shop, TRACKING_API), "post", f"orders/{push.order_id}/shipment-trackings", data=tracking
            )
            created_id = str(created.get("tracking_id")) if isinstance(created, dict) else None
        except PermanentStoreError as exc:
            if "(404" not in str(exc):
                raise
            if push.status is None:
                return add_note(shop, push.order_id, push.message)
    if push.status is None:
        return created_id
    return add_note(shop, push.order_id, push.message)


def add_note(shop: ShopAccess, order_id: str, message: str) -> str:
    """``POST orders/<id>/notes`` with ``customer_note`` so the customer gets the e-mail."""
    note = call(client(shop), "post", f"orders/{order_id}/notes", data={"note": message, "customer_note": True})
    return str(note["id"])


def sync_customer(shop: ShopAccess, sync: CustomerSync) -> None:
    """``PUT customers/<id>`` with ``sadakat_points`` and ``sadakat_tier`` meta."""
    meta = [{"key": "sadakat_points", "value": str(sync.points)}, {"key": "sadakat_tier", "value": sync.tier or ""}]
    call(client(shop), "put", f"customers/{sync.customer_id}", data={"meta_data": meta})


WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted", "customer.created")


def list_webhooks(shop: ShopAccess) -> list[dict[str, Any]]:
    """Every webhook on the store (``GET webhooks``), page by page."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = call(client(shop), "get", "webhooks", params={"per_page": 100, "page": page})
        if not isinstance(batch, list):
            raise PermanentStoreError("WooCommerce: GET webhooks did not answer a list")
        found += batch
        if len(batch) < 100:
            return found
        page += 1


def register_webhooks(shop: ShopAccess, delivery_url: str, secret: str) -> list[str]:
    """``POST webhooks`` for each topic missing at ``delivery_url``; ``PUT`` ``status: active`` on any
    WooCommerce disabled (it does so after repeated failed deliveries, and never retries). Returns ids touched."""
    touched = []
    existing = {(w.get("topic"), w.get("delivery_url")): w for w in list_webhooks(shop)}
    for topic in WEBHOOK_TOPICS:
        hook = existing.get((topic, delivery_url))
        if hook is None:
            body = {
                "name": f"Sadakat {topic}",
                "topic": topic,
                "delivery_url": delivery_url,
                "secret": secret,
                "status": "active",
                "api_version": "wp_api_v3",
            }
            touched.append(str(call(client(shop), "post", "webhooks", data=body)["id"]))
        elif hook.get("status") != "active":
            call(client(shop), "put", f"webhooks/{hook['id']}", data={"status": "active"})
            touched.append(str(hook["id"]))
    return touched


def missing_webhooks(shop: ShopAccess, delivery_url: str) -> list[str]:
    """Topics with no active webhook at ``delivery_url`` (reading only)."""
    active = {
        w.get("topic")
        for w in list_webhooks(shop)
        if w.get("delivery_url") == delivery_url and w.get("status") == "active"
    }
    return [topic for topic in WEBHOOK_TOPICS if topic not in active]


def changed_orders(
    shop: ShopAccess, since: datetime, field: str = "modified"
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``GET orders?modified_after=`` (or, with ``field="date"``, ``after=``: placed since) page by page,
    oldest first, as ``order.updated`` webhooks."""
    page = 1
    while True:
        params = {
            "modified_after" if field == "modified" else "after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": field,
            "order": "asc",
            "per_page": 100,
            "page": page,
        }
        batch = call(client(shop), "get", "orders", params=params)
        if not isinstance(batch, list):
            raise PermanentStoreError("WooCommerce: GET orders did not answer a list")
        for order in batch:
            if isinstance(order, dict) and order.get("id") is not None:
                version = order.get("date_modified_gmt") or order.get("date_modified") or ""
                yield "order.updated", f"reconcile:{order['id']}:{version}", order
        if len(batch) < 100:
            return
        page += 1
