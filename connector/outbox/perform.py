"""Carrying out a push: one store call per kind of push, and what follows once it is done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters import theme_programme
from adapters.base import PermanentStoreError, RetryableStoreError, ShopAccess, StoreAdapter, StoreError
from connector.config import Config
from connector.db.merchants import AuditEntry, ShopPerson
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from connector.model import CustomerSync, DiscountCode, TrackingPush
from connector.outbox import deliveries as event_deliveries
from connector.outbox import events, letters, mail, notices, senders, store_credit
from connector.outbox import requests as outbox
from connector.outbox.pushes import (
    CODE_NOTE,
    CUSTOMER_SYNC,
    DISABLE_CODE,
    DISCOUNT_CODE,
    EMAIL,
    PROGRAMME_METAFIELD,
    REGISTER_WEBHOOKS,
    TRACKING,
    code_why,
)
from connector.programme import ProgrammeSettings, programme_of, shop_currency
from connector.rules import points as rules

log = logging.getLogger(__name__)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


Performer = Callable[[Storage, StoreAdapter, outbox.Claimed, Config], str | None]


def perform(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    """Make the store call a push stands for. Returns the store's id for what it created, if any."""
    performer = PERFORMERS.get(claimed.kind)
    if performer is None:
        raise PermanentStoreError(f"unknown push kind {claimed.kind!r}")
    return performer(storage, adapter, claimed, config)


def _discount_code(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    payload = claimed.payload
    discount = DiscountCode(
        code=payload["code"],
        kind=payload["kind"],
        value=Decimal(payload["value"]),
        title=payload["title"],
        customer_id=payload.get("customer_id"),
        email=payload.get("email"),
        ends_at=_time(payload.get("ends_at")),
    )
    # A lost answer to an earlier try may have created it already.
    return adapter.find_discount_code(claimed.shop, discount.code) or adapter.create_discount_code(
        claimed.shop, discount
    )


def _tracking(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    payload = claimed.payload
    times = {"happened_at": _time(payload.get("happened_at"))}
    times["estimated_delivery_at"] = _time(payload.get("estimated_delivery_at"))
    return adapter.push_tracking(claimed.shop, TrackingPush(**payload | times))


def _customer_sync(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    member_id = claimed.payload["customer"]
    with storage.session() as session:
        customer = session.get(CustomerRecord, member_id)
        if customer is None or not customer.platform_id:
            return None
        sync = CustomerSync(
            customer_id=customer.platform_id,
            points=customer.points,
            tier=customer.tier,
            previous_tier=customer.store_tier,
        )
    adapter.sync_customer(claimed.shop, sync)
    with storage.session() as session:
        session.execute(update(CustomerRecord).where(CustomerRecord.id == member_id).values(store_tier=sync.tier))
    return None


def _code_note(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    return adapter.deliver_code_note(claimed.shop, claimed.payload["order_id"], claimed.payload["message"])


def _email(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    payload = claimed.payload
    if "letter" in payload:
        with storage.session(read_only=True) as session:
            letter = senders.compose(session, payload, config)
        if letter is None:
            return None
        payload = letter.payload()
    try:
        headers = dict(payload.get("headers") or {}) | {mail.SHOP_HEADER: str(claimed.shop.shop_id)}
        return mail.send(config, payload["to"], payload["subject"], payload["body"], payload.get("html"), headers)
    except mail.MailServerBusy as exc:
        raise RetryableStoreError(str(exc), mail.RETRY_SECONDS) from None
    except mail.MailRefused as exc:
        raise PermanentStoreError(str(exc)) from None


def _disable_code(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    # Only a code the store has can be used; one it never created needs nothing.
    store_id = adapter.find_discount_code(claimed.shop, claimed.payload["code"])
    if store_id:
        adapter.disable_discount_code(claimed.shop, store_id)
    return store_id


def _register_webhooks(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    with storage.session() as session:
        shop = session.get(Shop, claimed.shop.shop_id)
        secret = shop.webhook_secret if shop else None
    url = config.public_url + adapter.webhook_path(claimed.shop.shop_id)
    touched = ",".join(adapter.register_webhooks(claimed.shop, url, secret))[:255] or None
    _learn_store(storage, adapter, claimed.shop)
    return touched


def _store_credit(storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config) -> str | None:
    return store_credit.perform(storage, adapter, claimed)


def _programme_metafield(
    storage: Storage, adapter: StoreAdapter, claimed: outbox.Claimed, config: Config
) -> str | None:
    theme = theme_programme(adapter.platform)
    if theme is None:
        return None
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, claimed.shop.shop_id)
        if shop is None:
            return None
        published = theme_json(programme_of(shop), shop_currency(shop))
    return theme.publish(claimed.shop, published)


def theme_json(programme: ProgrammeSettings, currency: str | None) -> dict[str, Any]:
    """The programme as the theme's product block reads it: whole-number rates (``rules.points``'s
    ``RATE_SCALE``), for everyone and for each tier."""
    return {
        "version": 1,
        "currency": currency,
        "scale": 100 * rules.RATE_SCALE,
        "rate": rules.scaled_rate(programme.earn_rate),
        "include_shipping": programme.include_shipping,
        "include_tax": programme.include_tax,
        "tiers": [
            {"name": t.name, "rate": rules.scaled_rate(programme.earn_rate * t.multiplier)} for t in programme.tiers
        ],
    }


PERFORMERS: dict[str, Performer] = {
    PROGRAMME_METAFIELD: _programme_metafield,
    store_credit.CREDIT: _store_credit,
    store_credit.DEBIT: _store_credit,
    DISCOUNT_CODE: _discount_code,
    TRACKING: _tracking,
    CUSTOMER_SYNC: _customer_sync,
    CODE_NOTE: _code_note,
    EMAIL: _email,
    DISABLE_CODE: _disable_code,
    REGISTER_WEBHOOKS: _register_webhooks,
    events.DELIVERY: event_deliveries.deliver,
    events.FLOW_TRIGGER: event_deliveries.deliver,
}
OFF_THE_STORE = frozenset({EMAIL, events.DELIVERY})
"""Kinds of push that don't call the store (no store token needed)."""


def retry_delay(kind: str, attempts: int) -> float | None:
    """How long a push of ``kind`` waits after its ``attempts``-th failed try, where its kind has a schedule
    of its own (events' deliveries); None for the outbox's usual backoff."""
    return event_deliveries.retry_delay(attempts) if kind in (events.DELIVERY, events.FLOW_TRIGGER) else None


STORE_SAID = "the store, at install"


def _learn_store(storage: Storage, adapter: StoreAdapter, shop: ShopAccess) -> None:
    """Ask the store its currency and its owner (at install and at every hourly check); a store that won't say
    now is asked again next time, and its orders meanwhile tell the shop's currency unconfirmed. The owner's
    address becomes the shop's first owner, who signs in by e-mail, while the shop has no people yet."""
    try:
        currency, owner = adapter.store_profile(shop)
    except StoreError as exc:
        log.info("shop %s did not say its currency: %s", shop.shop_id, exc)
        return
    with storage.session() as session:
        if currency:
            session.execute(
                update(Shop).where(Shop.id == shop.shop_id).values(currency=currency.upper(), currency_confirmed=True)
            )
        has_people = session.scalars(select(ShopPerson.id).where(ShopPerson.shop_id == shop.shop_id)).first()
        if owner and has_people is None:
            session.add(ShopPerson(shop_id=shop.shop_id, email=owner, role="owner", added_by=STORE_SAID))
            session.add(AuditEntry(shop_id=shop.shop_id, actor=STORE_SAID, action="person.role", subject=owner,
                                   before=None, after="owner"))  # fmt: skip


def deliveries(claimed: outbox.Claimed, config: Config) -> outbox.FollowUp:
    """Once the store has a code, hand it to the customer: by e-mail (SMTP, else the local mailbox) and, for a
    gift earned by an order, as a customer note on that order where the store sends those. Once an event is
    delivered, the next one about the same member to the same destination."""

    def request(session: Session) -> list[int]:
        payload = claimed.payload
        if claimed.kind in (events.DELIVERY, events.FLOW_TRIGGER):
            return event_deliveries.next_in_line(claimed)(session)
        if claimed.kind == store_credit.CREDIT and payload.get("redemption"):
            customer_id = int(payload["redemption"]["customer"])
            letter = senders.written_later(
                senders.STORE_CREDIT_ADDED, customer_id, amount=payload["amount"], currency=payload["currency"]
            )
            key = f"deliver-email:{payload['key']}"
            pushed = outbox.request(session, claimed.shop.shop_id, EMAIL, key, f"customer:{customer_id}", letter)
            return [pushed] if pushed else []
        if claimed.kind != DISCOUNT_CODE or not payload.get("reason"):
            return []
        reason = payload["reason"]
        shop = session.get(Shop, claimed.shop.shop_id)
        if shop is None:
            return []
        programme = programme_of(shop)
        why = code_why(reason)
        gift = why == "gift"
        about = {"code": payload["code"], "kind": payload["kind"], "value": payload["value"], "why": why}
        about |= {"shop": programme.shop_name or shop.domain, "until": payload.get("ends_at")}
        about["currency"] = shop_currency(shop)
        message = notices.code_message(programme.locale, **about)  # the store's note: the shop's language
        requested = []
        email = payload.get("email")
        # over SMTP, or to the local mailbox the admin pages show; a gift is marketing, a redemption isn't
        sender = senders.sender_for(session, shop, config, email, marketing=gift) if email else None
        if gift and not programme.emails.gift:
            sender = None  # the shop tells customers of gifts itself (from Klaviyo, say)
        if email and sender is not None:
            member = session.scalars(
                select(CustomerRecord.first_name).where(
                    CustomerRecord.shop_id == shop.id, CustomerRecord.email == email
                )
            ).first()
            welcome = why in ("gift", "welcome")
            said = notices.code_message(sender.locale, **about)  # the e-mail: the member's
            letter = letters.code(sender, to=email, first_name=member, code=payload["code"], message=said, gift=welcome)
            requested.append(
                outbox.request(session, shop.id, EMAIL, f"deliver-email:{reason}", email, letter.payload())
            )
        if payload.get("order_id"):
            requested.append(
                outbox.request(
                    session,
                    shop.id,
                    CODE_NOTE,
                    f"deliver-note:{reason}",
                    payload["order_id"],
                    {"order_id": payload["order_id"], "message": message},
                )
            )
        return [p for p in requested if p]

    return request
