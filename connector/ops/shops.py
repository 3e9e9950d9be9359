"""Registering shops and their webhook secrets, and finding the shop a customer-facing link names."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import UnknownPlatform, get_adapter, no_store_credit, store_credit_accounts
from adapters.base import ShopAddress, Tokens
from connector.config import Config
from connector.db.customers import find_customer
from connector.db.merchants import ProgrammeChange
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from connector.errors import Invalid
from connector.ops.merchants import audit
from connector.outbox import pushes
from connector.programme import ProgrammeSettings, SettingsError, programme_of


class ShopError(Invalid):
    """A shop can't be registered or changed as asked; the message says why."""


def register_shop(
    storage: Storage,
    config: Config,
    platform: str,
    address: str,
    credentials: dict[str, str | None],
    webhook_secret: str | None,
    settings: dict[str, Any] | None = None,
    scopes: str | None = None,
) -> Shop:
    """Register a store by hand (custom-app style). Nothing is changed if anything is wrong. With no
    ``scopes`` the credentials are taken to grant what Sadakat asks for."""
    try:
        adapter = get_adapter(platform)
        where = adapter.address(address)
        programme = ProgrammeSettings.from_dict(settings)
        platform_allows(platform, programme)
    except (UnknownPlatform, ValueError, SettingsError) as exc:
        raise ShopError(str(exc)) from None
    missing = [name for name in adapter.credentials if not credentials.get(name)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise ShopError(f"{platform} shops need {flags}")
    extra = [name for name, value in credentials.items() if value and name not in adapter.credentials]
    if extra:
        flags = ", ".join("--" + name.replace("_", "-") for name in extra)
        raise ShopError(f"{platform} shops take no {flags}")
    if not webhook_secret and not adapter.app_webhook_secrets(config):
        raise ShopError(
            "no webhook secret: pass --webhook-secret (a Shopify shop may rely on SHOPIFY_API_SECRET instead)"
        )
    with storage.session() as session:
        existing = session.scalars(
            select(Shop).where(Shop.platform == platform, Shop.domain == where.domain)
        ).one_or_none()
        if existing is not None:
            raise ShopError(f"{where.domain} is already registered as shop {existing.id}")
        shop = Shop(
            platform=platform,
            domain=where.domain,
            base_url=where.base_url,
            webhook_secret=webhook_secret or None,
            carrier_secret=secrets.token_urlsafe(32),
            code_secret=secrets.token_urlsafe(32),
            customer_api_key=secrets.token_urlsafe(32),
            settings=programme.to_dict(),
            credentials={name: str(credentials[name]) for name in adapter.credentials},
            scopes=",".join(s.strip() for s in scopes.split(",") if s.strip()) if scopes else None,
        )
        session.add(shop)
        session.flush()
    return shop


def platform_allows(platform: str, programme: ProgrammeSettings) -> None:
    """SettingsError naming every setting the shop's platform can't give (store credit where it has none)."""
    fields = programme.store_credit_fields()
    if fields and store_credit_accounts(platform) is None:
        raise SettingsError("; ".join(f"{field}: {no_store_credit(platform)}" for field in fields))


def rotate_webhook_secret(storage: Storage, shop_id: int, new_secret: str) -> Shop:
    """Make ``new_secret`` current; the old one keeps verifying until the next rotation."""
    if not new_secret:
        raise ShopError("the new webhook secret must not be empty")
    with storage.session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise ShopError(f"no shop {shop_id}")
        shop.previous_webhook_secret = shop.webhook_secret
        shop.webhook_secret = new_secret
    return shop


def install_shop(
    storage: Storage, config: Config, platform: str, address: ShopAddress, tokens: Tokens
) -> tuple[Shop, int]:
    """Store a store's new credentials after an install: a new shop, or the same shop again after an
    uninstall (balances intact). Asks for its webhooks to be registered. Returns (shop, push id)."""
    from connector.outbox import pushes
    from connector.outbox import requests as outbox

    adapter = get_adapter(platform)
    with storage.session() as session:
        shop = session.scalars(
            select(Shop).where(Shop.platform == platform, Shop.domain == address.domain).with_for_update()
        ).one_or_none()
        if shop is None:
            shop = Shop(
                platform=platform,
                domain=address.domain,
                base_url=address.base_url,
                settings=ProgrammeSettings().to_dict(),
                carrier_secret=secrets.token_urlsafe(32),
                code_secret=secrets.token_urlsafe(32),
                customer_api_key=secrets.token_urlsafe(32),
            )
            session.add(shop)
        if not shop.webhook_secret and not adapter.app_webhook_secrets(config):
            shop.webhook_secret = secrets.token_urlsafe(32)  # we create this store's webhooks with it
        shop.credentials = dict(tokens.credentials)
        shop.credentials_expire_at = tokens.expires_at
        shop.refresh_token = tokens.refresh_token
        shop.refresh_token_expires_at = tokens.refresh_expires_at
        shop.scopes = tokens.scopes
        shop.uninstalled_at = None
        session.flush()
        push_id = outbox.request(
            session, shop.id, pushes.REGISTER_WEBHOOKS, f"webhooks:{uuid.uuid4().hex}", shop.domain, {}
        )
        assert push_id is not None
    return shop, push_id


def change_settings(
    storage: Storage,
    shop_id: int,
    changes: dict[str, Any],
    by: str = "command line",
    queue: Queue | None = None,
    source: str | None = None,
) -> ProgrammeSettings:
    """Apply ``changes`` (whole top-level settings) to a shop's programme, recording who changed what, and ask
    for it to be written where the shop's theme reads it (queued on ``queue``, else by the sweeper);
    SettingsError leaves it untouched."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        before = programme_of(shop).to_dict()
        settings = programme_of(shop).updated(changes)
        platform_allows(shop.platform, settings)
        shop.settings = settings.to_dict()
        published = None
        if shop.settings != before:
            session.add(ProgrammeChange(shop_id=shop.id, by=by[:120], before=before, after=shop.settings))
            changed = sorted(k for k in {*before, *shop.settings} if before.get(k) != shop.settings.get(k))
            was, now = ({k: side.get(k) for k in changed} for side in (before, shop.settings))
            audit.record(session, shop.id, by, source, "programme", ", ".join(changed), was, now)
            published = pushes.request_programme_publish(session, shop)
    if published is not None and queue is not None:
        pushes.dispatch(storage, queue, [(published, shop_id)])
    return settings


def programme_history(session: Session, shop_id: int, limit: int = 50) -> list[ProgrammeChange]:
    """The shop's latest programme changes, newest first."""
    return list(
        session.scalars(
            select(ProgrammeChange)
            .where(ProgrammeChange.shop_id == shop_id)
            .order_by(ProgrammeChange.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class PublicName:
    """Which shop a customer-facing link names: its id, and whether the link used the old number."""

    shop_id: int
    handle: str
    by_number: bool


def customer_api_key(storage: Storage, shop_id: int) -> str:
    """The key the store's own site signs its calls with (made the first time it is asked for); LookupError
    for an unknown shop."""
    with storage.session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        if not shop.customer_api_key:
            shop.customer_api_key = secrets.token_urlsafe(32)
        return shop.customer_api_key


def shop_ids(storage: Storage) -> list[int]:
    """Every shop's number, installed or not, in order."""
    with storage.session(read_only=True) as session:
        return list(session.scalars(select(Shop.id).order_by(Shop.id)))


def some_shops(storage: Storage, shop_ids: list[int]) -> list[Shop]:
    """The shops ``shop_ids``, in order."""
    with storage.session(read_only=True) as session:
        return list(session.scalars(select(Shop).where(Shop.id.in_(shop_ids)).order_by(Shop.id)))


def all_shops(session: Session) -> list[Shop]:
    """Every shop, installed or not, in order."""
    return list(session.scalars(select(Shop).order_by(Shop.id)))


def shop_in(session: Session, shop_id: int, *, lock: bool = False) -> Shop | None:
    """The shop ``shop_id`` read in ``session`` (locked for an update), or None."""
    return session.get(Shop, shop_id, with_for_update=lock)


def member_in(session: Session, member_id: int, *, lock: bool = False) -> CustomerRecord | None:
    """The member ``member_id`` read in ``session`` (locked for an update), or None."""
    return session.get(CustomerRecord, member_id, with_for_update=lock)


def find_member(session: Session, shop_id: int, ident: str) -> CustomerRecord | None:
    """The shop's member named by ``ident`` (the store's customer id, or an e-mail address): the one lookup of
    a member by shop and identifier."""
    return find_customer(session, shop_id, ident)


def find_shop(storage: Storage, shop_id: int) -> Shop | None:
    """The shop ``shop_id`` (installed or not), or None: the one "find the shop or say there is none"."""
    with storage.session(read_only=True) as session:
        return session.get(Shop, shop_id)


def storefront_visit(
    storage: Storage, platform: str, domain: str, customer_key: str | None
) -> tuple[Shop | None, CustomerRecord | None]:
    """Whom a signed storefront request speaks for: the installed shop of ``platform`` at ``domain``, and its
    member ``customer_key`` (None when no one is logged in or they have no record yet). The one lookup the
    app proxy's page, its JSON and the launcher share."""
    with storage.session(read_only=True) as session:
        shop = session.scalars(
            select(Shop).where(Shop.platform == platform, Shop.domain == domain, Shop.uninstalled_at.is_(None))
        ).one_or_none()
        if shop is None or not customer_key:
            return shop, None
        member = session.scalars(
            select(CustomerRecord).where(CustomerRecord.shop_id == shop.id, CustomerRecord.key == customer_key)
        ).one_or_none()
        return shop, member


def shop_named(storage: Storage, name: str) -> PublicName | None:
    """The shop a customer-facing link names: by its random handle, or, for a shop from before handles
    (``answers_at_id``), by its number; None for anything else, however it is written."""
    if not name or len(name) > 32 or not name.isascii():
        return None
    with storage.session(read_only=True) as session:
        found = session.execute(select(Shop.id, Shop.handle).where(Shop.handle == name)).first()
        if found is not None:
            return PublicName(found.id, found.handle, by_number=False)
        if name.isdigit() and len(name) <= 10 and 0 < int(name) < 2**31:
            old = session.execute(
                select(Shop.id, Shop.handle).where(Shop.id == int(name), Shop.answers_at_id.is_(True))
            ).first()
            if old is not None:
                return PublicName(old.id, old.handle, by_number=True)
    return None
