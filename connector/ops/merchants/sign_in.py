"""Merchants sign in by e-mail: the sign-in page takes an address and the same answer follows for every
address; a job then e-mails a link (15 minutes, single use, kept as a hash) if the address is one of a
shop's people. The link opens a page whose button spends it (a mail scanner opening links spends nothing)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from connector.config import Config
from connector.db.merchants import ShopPerson, SignInLink
from connector.db.storage import Storage
from connector.db.tables import utcnow
from connector.errors import TooMany
from connector.language.catalogs import N_, Words
from connector.outbox import mail

LINK_LIFETIME = timedelta(minutes=15)
TRIES_SECONDS = 3600
TRIES_PER_EMAIL = 5
TRIES_PER_ADDRESS = 30
PREFIX = "sadakat:admin-sign-in:"
SEND_LINK = "jobs.sign_in.send_admin_link"
WORDS = Words(
    "admin",
    {
        "subject": N_("Your Sadakat sign-in link"),
        "body": N_(
            "Sign in to Sadakat with this link. It works once, for the next 15 minutes:\n\n{link}\n\n"
            "If you didn't ask to sign in, you can ignore this e-mail."
        ),
    },
)


class TooManyTries(TooMany):
    """Too many sign-in requests for the address or from the client: wait, then try again."""

    def __init__(self) -> None:
        super().__init__("too many sign-in requests: wait an hour, then try again")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _count(redis: Redis, key: str) -> int:
    with redis.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, TRIES_SECONDS, nx=True)
        return int(pipe.execute()[0])


def ask(redis: Redis, queue: Queue, email: str, client: str | None, lang: str) -> None:
    """Count the try (the client's limit first), then queue the job that decides, for every address alike."""
    address = email.strip().lower()
    if _count(redis, f"{PREFIX}from:{client or '-'}") > TRIES_PER_ADDRESS:
        raise TooManyTries
    if _count(redis, f"{PREFIX}email:{_hash(address)}") > TRIES_PER_EMAIL:
        raise TooManyTries
    queue.enqueue(SEND_LINK, address, lang, result_ttl=0, failure_ttl=3600, description="admin sign-in link")


def send_link(storage: Storage, config: Config, email: str, lang: str) -> bool:
    """E-mail a fresh sign-in link if ``email`` is one of a shop's people. Returns whether one was sent."""
    address = email.strip().lower()
    random_part = secrets.token_urlsafe(32)
    with storage.session() as session:
        known = session.scalars(select(ShopPerson.id).where(ShopPerson.email == address)).first()
        if known is None:
            return False
        link_row = SignInLink(email=address, token_hash=_hash(random_part), expires_at=utcnow() + LINK_LIFETIME)
        session.add(link_row)
        session.flush()
        token = f"{link_row.id}-{random_part}"  # its row's number, so no lookup compares the secret
    words = WORDS.get(lang, WORDS["en"])
    link = f"{config.public_url}/admin/sign-in/{token}"
    mail.send(config, address, words["subject"], words["body"].format(link=link))
    return True


def enter(storage: Storage, token: str) -> str | None:
    """Spend a sign-in link: the address it was for, or None if it is unknown, used or expired."""
    number, _, random_part = (token or "").partition("-")
    if not number.isdigit() or len(number) > 10 or not random_part or len(random_part) > 100:
        return None
    with storage.session() as session:
        found = session.get(SignInLink, int(number), with_for_update=True)
        if found is None or not hmac.compare_digest(found.token_hash, _hash(random_part)):
            return None
        spent = session.execute(
            update(SignInLink)
            .where(SignInLink.id == found.id, SignInLink.used_at.is_(None), SignInLink.expires_at > utcnow())
            .values(used_at=utcnow())
            .returning(SignInLink.email)
        ).first()
    return spent[0] if spent else None
