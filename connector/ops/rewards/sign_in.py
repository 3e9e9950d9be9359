"""Signing a member in to the hosted rewards page by e-mail: a single-use link valid 15 minutes (kept only as
its hash), then a session for that shop and customer; both live in Redis and expire there. A stranger
learns nothing: an unknown address gets the same answer and no e-mail."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from redis import Redis
from rq import Queue
from sqlalchemy.orm import Session

from connector import signed
from connector.config import Config
from connector.db.customers import find_customer
from connector.db.tables import Shop
from connector.errors import TooMany
from connector.outbox import letters, pushes, senders
from connector.outbox import requests as outbox
from connector.queue.connection import enqueue_sign_in

LINK_SECONDS = 15 * 60
SESSION_SECONDS = 7 * 24 * 3600
TRIES_SECONDS = 3600
TRIES_PER_EMAIL = 5
TRIES_PER_ADDRESS = 30
PREFIX = "sadakat:rewards:"
MAX_SIGNED_LINK_AGE = 5 * 60
"""How old a link signed by the store's own site (customer API key) may be."""


class TooManyTries(TooMany):
    """Too many sign-in e-mails asked for, for one address or from one client, this hour."""


@dataclass(frozen=True)
class Visitor:
    """Who a hosted session belongs to."""

    shop_id: int
    customer_id: int
    csrf: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _count(redis: Redis, key: str) -> int:
    with redis.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, TRIES_SECONDS, nx=True)
        return int(pipe.execute()[0])


def ask(redis: Redis, queue: Queue, shop: Shop, email: str, client: str | None) -> None:
    """Count the try (the client's limit first, so a client over it leaves no count for each address it
    tried), then queue the job that decides: members and strangers alike, so timing tells nothing."""
    address = email.strip().lower()
    if _count(redis, f"{PREFIX}tries-from:{shop.id}:{client or '-'}") > TRIES_PER_ADDRESS:
        raise TooManyTries
    if _count(redis, f"{PREFIX}tries:{shop.id}:{_hash(address)}") > TRIES_PER_EMAIL:
        raise TooManyTries
    enqueue_sign_in(queue, shop.id, address)


def request_link(session: Session, redis: Redis, config: Config, shop: Shop, email: str) -> int | None:
    """If ``email`` is a member's, request the e-mail with a fresh sign-in link. Returns the push to dispatch
    (None for an unknown address)."""
    address = email.strip().lower()
    customer = find_customer(session, shop.id, address)
    if customer is None or not customer.email or customer.email.lower() != address:
        return None
    token = secrets.token_urlsafe(32)
    redis.set(f"{PREFIX}link:{_hash(token)}", f"{shop.id}:{customer.id}", ex=LINK_SECONDS)
    sender = senders.sender_for(session, shop, config, customer.email, marketing=False)
    assert sender is not None
    link = f"{letters.rewards_url(config.public_url, shop.handle)}/enter?t={token}"
    letter = letters.sign_in(sender, to=customer.email, first_name=customer.first_name, link=link)
    return outbox.request(
        session, shop.id, pushes.EMAIL, f"sign-in:{_hash(token)[:32]}", customer.key, letter.payload()
    )


def open_session(redis: Redis, shop_id: int, customer_id: int, seconds: int = SESSION_SECONDS) -> str:
    """A new session for the member, for ``seconds``; returns the cookie's (or the launcher's token's) value."""
    sid = secrets.token_urlsafe(32)
    redis.set(f"{PREFIX}session:{_hash(sid)}", f"{shop_id}:{customer_id}:{secrets.token_urlsafe(24)}", ex=seconds)
    return sid


def enter(redis: Redis, shop_id: int, token: str) -> str | None:
    """Use a sign-in link (once): a new session's cookie value, or None if the link is unknown, used, expired
    or for another shop."""
    key = f"{PREFIX}link:{_hash(token)}"
    found = redis.get(key) if token else None
    if found is None or int(found.decode().split(":")[0]) != shop_id:
        return None  # another shop's link is left for its own shop
    if redis.getdel(key) != found:
        return None  # used meanwhile
    customer_id = int(found.decode().split(":")[1])
    return open_session(redis, shop_id, customer_id)


def visitor(redis: Redis, shop_id: int, sid: str | None) -> Visitor | None:
    """Who the session cookie ``sid`` belongs to, for this shop only."""
    found = redis.get(f"{PREFIX}session:{_hash(sid)}") if sid else None
    if found is None:
        return None
    session_shop, customer_id, csrf = found.decode().split(":", 2)
    if int(session_shop) != shop_id:
        return None
    return Visitor(shop_id, int(customer_id), csrf)


def close(redis: Redis, sid: str | None) -> None:
    """End a session (sign-out)."""
    if sid:
        redis.delete(f"{PREFIX}session:{_hash(sid)}")


def store_signature(api_key: str, shop_id: int, customer: str, at: str) -> str:
    """What the store's own site signs a straight-in link with: hex HMAC-SHA256, keyed with the shop's customer
    API key, of ``<shop id>:<customer id>:<unix time>``."""
    return hmac.new(api_key.encode(), f"{shop_id}:{customer}:{at}".encode(), hashlib.sha256).hexdigest()


def store_link_ok(
    redis: Redis,
    api_key: str | None,
    shop_id: int,
    customer: str,
    at: str,
    sig: str,
    now: float,
    use: str = "store-link",
) -> bool:
    """Whether a straight-in link (or the launcher's signature, ``use="launcher"``) is the store's, fresh (5
    minutes either way) and used for the first time for that use."""
    when = signed.timestamp(at)
    return (
        bool(api_key)
        and when is not None
        and abs(now - when) <= MAX_SIGNED_LINK_AGE
        and signed.same(store_signature(api_key or "", shop_id, customer, at), sig, signed.HEX)
        and bool(redis.set(f"{PREFIX}{use}:{sig}", 1, nx=True, ex=2 * MAX_SIGNED_LINK_AGE))
    )
