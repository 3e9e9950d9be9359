"""The sandbox store: a pretend shop whose records live in the database Sadakat hands it.

It lets a newcomer see points, codes and tracking without owning a store. Its webhooks are signed like a
real store's (``X-Sandbox-Signature``: base64 HMAC-SHA256 of the body with the shop's webhook secret) and
go through the same receiver; what Sadakat asks of it (codes, tracking, member syncs) is recorded in its
own ``sandbox_calls`` table (``records.py``). ``simulated_traffic`` makes realistic orders, refunds and
parcels (``traffic.py``).

Payloads (its own, simple format):

- ``order/updated``: ``{"id", "number", "currency", "status": pending|paid|cancelled|refunded,
  "customer": {"id" | null, "email", "first_name", "last_name"}, "subtotal", "total",
  "refunds": [{"id", "amount"}], "created_at"}``; ``subtotal`` is merchandise after discounts,
  without shipping and tax, and refund amounts are merchandise refunded.
- ``shipment/updated``: ``{"id", "order_id", "carrier", "tracking_number", "tracking_url", "status",
  "updated_at"}``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.base import (
    Envelope,
    InstallCallback,
    InstallError,
    InstallStart,
    PayloadError,
    PermanentStoreError,
    ShopAccess,
    ShopAddress,
    Tokens,
    currency_field,
    decimal_field,
    email_field,
    hmac_sha256_base64_matches,
    id_field,
    list_field,
    text_field,
    time_field,
    url_field,
)
from adapters.sandbox.records import SandboxRecords
from adapters.sandbox.store_credit import SandboxStoreCredit
from adapters.sandbox.traffic import ORDER_TOPIC, SHIPMENT_TOPIC, SimulatedRequest, Traffic
from connector.config import Config
from connector.model import Customer, CustomerSync, DiscountCode, Order, Refund, Shipment, StoreEvent, TrackingPush

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SandboxTheme:
    """The sandbox keeps the programme its theme would read, as a record."""

    def __init__(self, records: SandboxRecords) -> None:
        self.records = records

    def publish(self, shop: ShopAccess, programme: dict[str, Any]) -> str | None:
        """Keep the latest programme."""
        self.records.keep(shop.shop_id, "theme_programme", "programme", programme)
        return "sandbox-theme-programme"


class SandboxAdapter:
    """The sandbox platform."""

    platform = "sandbox"
    credentials: tuple[str, ...] = ()
    topics = frozenset({ORDER_TOPIC, SHIPMENT_TOPIC})

    def __init__(self, records: SandboxRecords | None = None) -> None:
        self.records = records or SandboxRecords()
        self.store_credit = SandboxStoreCredit(self.records)
        self.theme = SandboxTheme(self.records)

    def address(self, raw: str) -> ShopAddress:
        """A sandbox store is named by a short name, e.g. ``demo``."""
        name = raw.strip().lower().removesuffix(".sandbox")
        if not NAME.fullmatch(name):
            raise ValueError(f"{raw!r} is not a sandbox store name (letters, digits and dashes, up to 40)")
        return ShopAddress(domain=f"{name}.sandbox", base_url=f"sandbox://{name}")

    def webhook_path(self, shop_id: int) -> str:
        """Each sandbox store has its own path, like a WooCommerce store."""
        return f"/webhooks/sandbox/{shop_id}"

    def app_webhook_secrets(self, config: Config) -> list[str]:
        """Each sandbox store has its own secret."""
        return []

    def names_other_shop(self, payload: Mapping[str, Any], domain: str) -> bool:
        """Each store signs with a secret of its own: a body can't be replayed for another."""
        return False

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """``X-Sandbox-*`` headers."""
        return Envelope(
            topic=headers.get("X-Sandbox-Topic"),
            delivery_id=headers.get("X-Sandbox-Delivery-Id"),
            signature=headers.get("X-Sandbox-Signature"),
        )

    def verify(self, body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
        """Base64 HMAC-SHA256 of the raw body."""
        return hmac_sha256_base64_matches(body, signature, secrets)

    def parse(self, topic: str, payload: dict[str, Any]) -> StoreEvent:
        """Orders (with their refunds) and shipments into the neutral model."""
        if topic == ORDER_TOPIC:
            return _order_event(payload)
        if topic == SHIPMENT_TOPIC:
            return StoreEvent(
                shipments=(
                    Shipment(
                        id=id_field(payload, "id"),
                        order_id=id_field(payload, "order_id"),
                        status=text_field(payload.get("status"), 32) or "shipped",
                        carrier=text_field(payload.get("carrier"), 128),
                        tracking_number=text_field(payload.get("tracking_number"), 128),
                        tracking_url=url_field(payload.get("tracking_url")),
                        updated_at=time_field(payload, "updated_at"),
                    ),
                )
            )
        raise PayloadError(f"topic {topic} is not one Sadakat reads")

    def store_profile(self, shop: ShopAccess) -> tuple[str | None, str | None]:
        """The store's own currency; the sandbox has no owner to name."""
        return "TRY", None

    def find_discount_code(self, shop: ShopAccess, code: str) -> str | None:
        """The id the sandbox gave ``code``, if it has it."""
        found = self.records.bodies(shop.shop_id, "discount_code", code)
        return str(found[0]["store_id"]) if found else None

    def create_discount_code(self, shop: ShopAccess, discount: DiscountCode) -> str:
        """Record the code; a second code with the same string is refused, as a real store would."""
        store_id = f"sandbox-code-{uuid.uuid4().hex[:12]}"
        body = asdict(discount) | {"store_id": store_id}
        if not self.records.record(shop.shop_id, "discount_code", discount.code, body):
            raise PermanentStoreError(f"sandbox refused: the code {discount.code} already exists")
        return store_id

    def disable_discount_code(self, shop: ShopAccess, store_id: str) -> None:
        """Record that the code can no longer be used."""
        self.records.record(shop.shop_id, "code_disabled", store_id, {"store_id": store_id})

    def push_tracking(self, shop: ShopAccess, push: TrackingPush) -> str | None:
        """Record the note the customer would get."""
        key = f"{push.shipment_id}:{push.status or 'details'}:{uuid.uuid4().hex[:8]}"
        self.records.record(shop.shop_id, "tracking", key, asdict(push))
        return key

    def sync_customer(self, shop: ShopAccess, sync: CustomerSync) -> None:
        """Record the member's standing as the store would show it."""
        self.records.record(shop.shop_id, "customer_sync", f"{sync.customer_id}:{uuid.uuid4().hex[:8]}", asdict(sync))

    def deliver_code_note(self, shop: ShopAccess, order_id: str, message: str) -> str | None:
        """A note on the order that reaches the customer, where the store sends those."""
        key = f"{order_id}:{uuid.uuid4().hex[:8]}"
        self.records.record(shop.shop_id, "code_note", key, {"order_id": order_id, "message": message})
        return key

    def start_install(self, params: Mapping[str, str], state: str, config: Config) -> InstallStart:
        """Sandbox stores are added with ``sadakat shops add sandbox <name>``."""
        raise InstallError("sandbox stores are added with `sadakat shops add sandbox <name>`")

    def read_install_callback(self, params: Mapping[str, str], body: bytes, config: Config) -> InstallCallback:
        """Sandbox stores have no install flow."""
        raise InstallError("sandbox stores have no install flow")

    def complete_install(self, callback: InstallCallback, address: ShopAddress, config: Config) -> Tokens:
        """Sandbox stores have no install flow."""
        raise InstallError("sandbox stores have no install flow")

    def after_install_url(self, address: ShopAddress, config: Config) -> str | None:
        """Nowhere."""
        return None

    def refresh_tokens(self, shop: ShopAccess, refresh_token: str, config: Config) -> Tokens:
        """Nothing expires in the sandbox."""
        raise PermanentStoreError("sandbox stores have no tokens")

    def changed_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders modified since ``since``, as the webhooks that would have carried them."""
        return iter(())

    def past_orders(self, shop: ShopAccess, since: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Orders placed since ``since``, in their latest state, as the webhooks that would carry them."""
        for order in self.records.pages(shop.shop_id, "order"):
            try:
                placed = datetime.fromisoformat(str(order.get("created_at")))
            except ValueError:
                continue
            if _aware(placed) >= _aware(since):
                state = f"{order.get('status')}-{len(order.get('refunds') or [])}"
                yield ORDER_TOPIC, f"backfill-{order['id']}-{state}", order

    def missing_webhooks(self, shop: ShopAccess, webhook_url: str) -> list[str]:
        """The sandbox needs no subscriptions."""
        return []

    def register_webhooks(self, shop: ShopAccess, webhook_url: str, secret: str | None) -> list[str]:
        """The sandbox sends its webhooks wherever ``simulate`` points it."""
        return []

    def simulated_traffic(
        self, shop_id: int, webhook_secret: str, carrier_secret: str, orders: int, seed: int
    ) -> Iterator[SimulatedRequest]:
        """Requests a busy little shop would send: orders (some paid later, refunded or cancelled),
        parcels with carrier news (some delayed), and the odd repeated delivery."""
        yield from Traffic(self.records, self.webhook_path(shop_id)).requests(
            shop_id, webhook_secret, carrier_secret, orders, seed
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _order_event(payload: Mapping[str, Any]) -> StoreEvent:
    raw = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    customer = Customer(
        id=text_field(raw.get("id"), 64),
        email=email_field(raw.get("email")),
        first_name=text_field(raw.get("first_name"), 255),
        last_name=text_field(raw.get("last_name"), 255),
    )
    status = payload.get("status")
    order_id = id_field(payload, "id")
    order = Order(
        id=order_id,
        name=text_field(payload.get("number"), 128) or order_id,
        currency=currency_field(payload.get("currency")),
        customer=customer,
        merchandise_amount=max(decimal_field(payload, "subtotal"), Decimal(0)),
        total=decimal_field(payload, "total"),
        paid=status in ("paid", "refunded"),
        cancelled=status == "cancelled",
        fully_refunded=status == "refunded",
        created_at=time_field(payload, "created_at"),
        shipping_amount=max(decimal_field(payload, "shipping", "0"), Decimal(0)),
        tax_amount=max(decimal_field(payload, "tax", "0"), Decimal(0)),
    )
    refunds = tuple(
        Refund(id=id_field(r, "id"), order_id=order_id, merchandise_amount=abs(decimal_field(r, "amount")))
        for r in list_field(payload, "refunds")
    )
    return StoreEvent(order=order, refunds=refunds)
