"""A shop's people and API tokens, and what each role may do.

``owner``: everything for the shop, its people and tokens included. ``manager``: the programme, customers,
codes, care, referrals and the shop's operations (events, pushes, tracking services, data requests).
``support``: customers to read, adjustments up to the limit the owner sets, and the care queue. The
operator (the deployment's admin password and token) reaches every shop and the health pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.merchants import ApiToken, ShopPerson
from connector.db.storage import Storage
from connector.db.tables import Shop, utcnow
from connector.errors import Conflict, Invalid, NotFound
from connector.inputs import InputError, whole_number
from connector.ops.merchants import audit

ROLES = ("owner", "manager", "support")
CAPABILITIES = {
    "support": frozenset({"read", "customers", "adjust", "care"}),
    "manager": frozenset(
        {"read", "customers", "adjust", "codes", "care", "programme", "referrals", "operations", "audit", "mailbox"}
    ),
}
CAPABILITIES["owner"] = CAPABILITIES["manager"] | {"people", "tokens"}
TOKEN_PREFIX = "sdk_"
MAX_EMAIL = 320


class PeopleError(Invalid):
    """A person or token can't be added as asked; the message names the field."""


@dataclass(frozen=True)
class Person:
    """Someone of a shop, as listed."""

    email: str
    role: str
    added_by: str
    added_at: str


@dataclass(frozen=True)
class Access:
    """Whom a request speaks for: the operator (every shop), or a person or token of some shops, each with a
    role. ``name`` is what the audit trail records."""

    name: str
    roles: dict[int, str] | None
    """Shop id → role; None for the operator, who reaches every shop."""
    token_id: int | None = None

    @property
    def operator(self) -> bool:
        return self.roles is None

    def may(self, shop_id: int, capability: str) -> bool:
        """Whether this may use ``capability`` on the shop."""
        if self.roles is None:
            return True
        role = self.roles.get(shop_id)
        return role is not None and capability in CAPABILITIES[role]

    def shops(self) -> list[int] | None:
        """The shops this reaches (None: all)."""
        return None if self.roles is None else sorted(self.roles)


OPERATOR = Access("operator", None)


def _email(raw: object) -> str:
    if not isinstance(raw, str) or "@" not in raw or len(raw) > MAX_EMAIL or not raw.strip().isprintable():
        raise PeopleError("email must be an e-mail address like owner@example.com")
    local, _, domain = raw.strip().lower().rpartition("@")
    if not local or "." not in domain or " " in raw.strip():
        raise PeopleError("email must be an e-mail address like owner@example.com")
    return f"{local}@{domain}"


def _role(raw: object) -> str:
    if raw not in ROLES:
        raise PeopleError(f"role must be one of {', '.join(ROLES)}")
    return str(raw)


def add_person(storage: Storage, shop_id: int, email: object, role: object, by: str, source: str | None) -> Person:
    """Give ``email`` the role at the shop (a person already there gets the new role)."""
    address, role = _email(email), _role(role)
    with storage.session() as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"no shop {shop_id}")
        person = session.scalars(
            select(ShopPerson).where(ShopPerson.shop_id == shop_id, ShopPerson.email == address)
        ).one_or_none()
        before = person.role if person else None
        if person is None:
            person = ShopPerson(shop_id=shop_id, email=address, role=role, added_by=by[:120])
            session.add(person)
        elif person.role == "owner" and role != "owner":
            _keep_an_owner(session, shop_id, address)
        person.role = role
        session.flush()
        if before != role:
            audit.record(session, shop_id, by, source, "person.role", address, before, role)
        return _listed(person)


def people(storage: Storage, shop_id: int) -> list[Person]:
    """The shop's people, owners first."""
    with storage.session(read_only=True) as session:
        found = session.scalars(select(ShopPerson).where(ShopPerson.shop_id == shop_id)).all()
        order = {role: n for n, role in enumerate(ROLES)}
        return [_listed(p) for p in sorted(found, key=lambda p: (order[p.role], p.email))]


def remove_person(storage: Storage, shop_id: int, email: object, by: str, source: str | None) -> None:
    """Take ``email`` off the shop (their sessions lose the shop at once); never the last owner."""
    address = _email(email)
    with storage.session() as session:
        person = session.scalars(
            select(ShopPerson).where(ShopPerson.shop_id == shop_id, ShopPerson.email == address)
        ).one_or_none()
        if person is None:
            raise NotFound(f"{address} is not one of shop {shop_id}'s people")
        if person.role == "owner":
            _keep_an_owner(session, shop_id, address)
        session.delete(person)
        audit.record(session, shop_id, by, source, "person.removed", address, person.role, None)


def _keep_an_owner(session: Session, shop_id: int, leaving: str) -> None:
    others = session.scalars(
        select(ShopPerson.id).where(
            ShopPerson.shop_id == shop_id, ShopPerson.role == "owner", ShopPerson.email != leaving
        )
    ).first()
    if others is None:
        raise Conflict("a shop keeps at least one owner: add another owner first")


def _listed(person: ShopPerson) -> Person:
    return Person(person.email, person.role, person.added_by, person.created_at.isoformat())


def access_of_person(storage: Storage, email: str) -> Access:
    """What a signed-in person reaches now (read afresh on every request: a removal counts at once)."""
    with storage.session(read_only=True) as session:
        rows = session.execute(
            select(ShopPerson.shop_id, ShopPerson.role).where(ShopPerson.email == email.lower())
        ).all()
    return Access(email, {shop_id: role for shop_id, role in rows})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Token:
    """An API token as listed (its secret is shown once, at creation, in ``secret``)."""

    id: int
    name: str
    role: str
    created_by: str
    created_at: str
    revoked_at: str | None
    secret: str | None = None


def create_token(storage: Storage, shop_id: int, role: object, name: object, by: str, source: str | None) -> Token:
    """A new API token for the shop with ``role``; the secret is in the answer and nowhere else."""
    role = _role(role)
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 64):
        raise PeopleError("name must be a short text (at most 64 characters)")
    random_part = secrets.token_urlsafe(32)
    with storage.session() as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"no shop {shop_id}")
        label = name.strip() if isinstance(name, str) else f"{role}-{secrets.token_hex(3)}"
        taken = session.scalars(select(ApiToken.id).where(ApiToken.shop_id == shop_id, ApiToken.name == label))
        if taken.first() is not None:
            raise Conflict(f"the shop already has a token named {label!r}")
        token = ApiToken(shop_id=shop_id, name=label, role=role, token_hash=_hash(random_part), created_by=by[:120])
        session.add(token)
        session.flush()
        secret = f"{TOKEN_PREFIX}{token.id}_{random_part}"  # its row's number, so no lookup compares the secret
        audit.record(session, shop_id, by, source, "token.created", label, None, role)
        return _token(token, secret)


def tokens(storage: Storage, shop_id: int) -> list[Token]:
    """The shop's tokens, newest first (never their secrets)."""
    with storage.session(read_only=True) as session:
        found = session.scalars(select(ApiToken).where(ApiToken.shop_id == shop_id).order_by(ApiToken.id.desc()))
        return [_token(t) for t in found]


def revoke_token(storage: Storage, shop_id: int, which: object, by: str, source: str | None) -> Token:
    """Revoke a token of the shop, by id or name; refused at once from then on."""
    with storage.session() as session:
        query = select(ApiToken).where(ApiToken.shop_id == shop_id)
        try:
            number = whole_number(which, "token", low=1, high=2**31 - 1)
            query = query.where(ApiToken.id == number)
        except InputError:
            query = query.where(ApiToken.name == str(which))
        token = session.scalars(query).one_or_none()
        if token is None:
            raise NotFound(f"shop {shop_id} has no token {which!s}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(session, shop_id, by, source, "token.revoked", token.name, token.role, None)
        return _token(token)


def access_of_token(storage: Storage, secret: str) -> Access | None:
    """What an API token reaches: its shop with its role; None for an unknown or revoked one."""
    number, _, random_part = secret.removeprefix(TOKEN_PREFIX).partition("_")
    if not secret.startswith(TOKEN_PREFIX) or not number.isdigit() or len(number) > 10 or not random_part:
        return None
    with storage.session(read_only=True) as session:
        token = session.get(ApiToken, int(number))
        if token is None or token.revoked_at is not None:
            return None
        if not hmac.compare_digest(token.token_hash, _hash(random_part)):
            return None
        return Access(f"API token {token.name}", {token.shop_id: token.role}, token.id)


def _token(token: ApiToken, secret: str | None = None) -> Token:
    revoked = token.revoked_at.isoformat() if token.revoked_at else None
    return Token(token.id, token.name, token.role, token.created_by, token.created_at.isoformat(), revoked, secret)


def support_limit(storage: Storage, shop_id: int) -> int:
    """The most points a ``support`` person may move in one adjustment."""
    with storage.session(read_only=True) as session:
        shop = session.get(Shop, shop_id)
        return shop.support_adjustment_limit if shop else 0


def set_support_limit(storage: Storage, shop_id: int, points: object, by: str, source: str | None) -> int:
    """Set the most points a ``support`` person may move in one adjustment (0: no adjustments)."""
    try:
        limit = whole_number(points, "support_adjustment_limit", low=0, high=10**9)
    except InputError as exc:
        raise PeopleError(str(exc)) from None
    with storage.session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        before, shop.support_adjustment_limit = shop.support_adjustment_limit, limit
        if before != limit:
            audit.record(session, shop_id, by, source, "support.limit", None, before, limit)
        return limit
