"""The points ledger: append-only entries, each with a reason and a key that makes a repeat a no-op.

This module is the only writer of points. A customer's balance is the sum of their entries; the
``customers.points`` column caches it and is moved in the same transaction as each new entry. Points are
written only inside settle's front door (``connector.settle.door``), which watches what the ledger did
(``Moved``: whose balance, tier or details moved) and derives the store's syncs and the letters from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from connector.db.storage import insert_once
from connector.db.tables import CustomerRecord, LedgerEntry

MAX_POINTS_PER_ENTRY = 10**12
"""No entry moves more points (see connector.model.MAX_AMOUNT, which keeps every order under it)."""
KINDS = frozenset(
    {
        "order",
        "refund",
        "cancellation",
        "redemption",
        "gift",
        "expiry",
        "adjustment",
        "import",
        "survey",
        "referral",
        "signup",
        "action",
    }
)


@dataclass(frozen=True)
class NewEntry:
    """An entry to append. ``key`` is unique per shop: appending the same key twice changes nothing."""

    key: str
    kind: str
    points: int
    source_type: str
    source_id: str
    rule: str
    rate: Decimal | None = None
    amount: Decimal | None = None
    event_id: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown ledger entry kind {self.kind!r}")


@dataclass(frozen=True)
class TierMove:
    """A member moved from one tier (or none) to another (or none), and why."""

    shop_id: int
    customer_id: int
    before: str | None
    after: str | None
    up: bool
    reason: str


@dataclass
class Moved:
    """What changes made while the front door was open moved: per shop, the members whose balance, tier or
    own details moved, and the members who went up a tier (each once)."""

    members: dict[int, set[int]] = field(default_factory=dict)
    promoted: dict[int, dict[int, str]] = field(default_factory=dict)
    """Shop id → member id → the member's key, for members who went up a tier and have an e-mail address."""
    entries: list[tuple[int, int, NewEntry]] = field(default_factory=list)
    """(shop id, member id, entry) for each entry appended, in order."""
    tiers: list[TierMove] = field(default_factory=list)
    """Each member's move from one tier to another, in order."""
    graced: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    """Shop id → member id → what their grace letter says (the spend that keeps the tier, the tier below), for
    members whose spend no longer reaches their tier and who keep it a while."""

    def __bool__(self) -> bool:
        return bool(self.members or self.promoted)


class OutsideTheDoor(RuntimeError):
    """Points or tiers were moved without settle's front door: no sync or letter would follow."""


_WATCHERS = "sadakat.ledger.watchers"


@contextmanager
def watching(session: Session) -> Iterator[Moved]:
    """Record whom the changes made in ``session`` move until the block ends (the front door's view)."""
    watchers: list[Moved] = session.info.setdefault(_WATCHERS, [])
    moved = Moved()
    watchers.append(moved)
    try:
        yield moved
    finally:
        watchers.remove(moved)


def _watchers(session: Session) -> list[Moved]:
    watchers: list[Moved] = session.info.get(_WATCHERS, [])
    if not watchers:
        raise OutsideTheDoor("members' points and tiers move only through connector.settle.door.settle")
    return watchers


def touched(session: Session, shop_id: int, member_ids: Iterable[int]) -> None:
    """Note members whose balance, tier or own details moved (the store should hear of it)."""
    ids = set(member_ids)
    for moved in _watchers(session):
        moved.members.setdefault(shop_id, set()).update(ids)


def promoted(session: Session, shop_id: int, members: dict[int, str]) -> None:
    """Note members (id → key) who went up a tier and can be written to."""
    for moved in _watchers(session):
        moved.promoted.setdefault(shop_id, {}).update(members)


def graced(session: Session, shop_id: int, members: dict[int, dict[str, Any]]) -> None:
    """Note members (id → their letter's values) who keep a tier their spend no longer reaches, for a while."""
    for moved in _watchers(session):
        moved.graced.setdefault(shop_id, {}).update(members)


def tiers_moved(session: Session, moves: list[TierMove]) -> None:
    """Note members who moved from one tier to another."""
    for moved in _watchers(session):
        moved.tiers.extend(moves)


def _values(shop_id: int, customer_id: int, entry: NewEntry) -> dict[str, Any]:
    if abs(entry.points) > MAX_POINTS_PER_ENTRY:
        raise ValueError(f"a ledger entry of {entry.points} points is past the limit of {MAX_POINTS_PER_ENTRY:,}")
    return {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "key": entry.key,
        "kind": entry.kind,
        "points": entry.points,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "rule": entry.rule,
        "rate": entry.rate,
        "amount": entry.amount,
        "event_id": entry.event_id,
        "note": entry.note,
    }


def append(session: Session, shop_id: int, customer_id: int, entry: NewEntry) -> bool:
    """Append ``entry`` unless its key is already in the shop's ledger. Returns whether it was added."""
    values = _values(shop_id, customer_id, entry)
    watchers = _watchers(session)
    inserted = session.execute(_insert_once(session.get_bind().dialect.name), values).scalar() is not None
    if inserted and entry.points:
        session.execute(
            update(CustomerRecord)
            .where(CustomerRecord.id == customer_id)
            .values(points=CustomerRecord.points + entry.points)
        )
    if inserted:
        for moved in watchers:
            moved.members.setdefault(shop_id, set()).add(customer_id)
            moved.entries.append((shop_id, customer_id, entry))
    return inserted


def append_many(session: Session, shop_id: int, entries: list[tuple[int, NewEntry]]) -> dict[int, int]:
    """Append many (customer id, entry) pairs in one statement, skipping keys already in the shop's ledger,
    and move the cached balances to match. Returns the points each customer gained."""
    if not entries:
        return {}
    dialect = session.get_bind().dialect.name
    _watchers(session)
    rows = [_values(shop_id, customer_id, entry) for customer_id, entry in entries]
    gained: dict[int, int] = {}
    added: set[str] = set()
    for customer_id, points, key in session.connection().execute(_insert_once(dialect, many=True), rows):
        gained[customer_id] = gained.get(customer_id, 0) + points
        added.add(key)
    for moved in _watchers(session):
        moved.entries.extend((shop_id, member, entry) for member, entry in entries if entry.key in added)
    moves = [{"member": member, "gained": points} for member, points in gained.items() if points]
    if moves:
        session.connection().execute(
            update(CustomerRecord.__table__)
            .where(CustomerRecord.id == bindparam("member"))
            .values(points=CustomerRecord.points + bindparam("gained")),
            moves,
        )
        for move in moves:  # members already loaded read their new balance on next use
            loaded = session.identity_map.get(session.identity_key(CustomerRecord, move["member"]))
            if loaded is not None:
                session.expire(loaded, ["points"])
    touched(session, shop_id, gained)
    return gained


ENTRY_COLUMNS = ("shop_id", "customer_id", "key", "kind", "points", "source_type", "source_id", "rule")


def _insert_once(dialect: str, many: bool = False) -> Any:
    returning = ("customer_id", "points", "key") if many else ("id",)
    columns = (*ENTRY_COLUMNS, "rate", "amount", "event_id", "note")
    return insert_once(dialect, LedgerEntry.__table__, columns, ("shop_id", "key"), returning)


def has_entry(session: Session, shop_id: int, key: str) -> bool:
    """Whether the shop's ledger already holds an entry with ``key``."""
    return (
        session.scalar(select(LedgerEntry.id).where(LedgerEntry.shop_id == shop_id, LedgerEntry.key == key)) is not None
    )


def sum_points(session: Session, shop_id: int, *, source_type: str, source_id: str, kinds: set[str]) -> int:
    """The sum of the shop's entries of ``kinds`` about one source (e.g. every reversal of an order)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.shop_id == shop_id,
            LedgerEntry.source_type == source_type,
            LedgerEntry.source_id == source_id,
            LedgerEntry.kind.in_(kinds),
        )
    )
    return int(total or 0)


def balance(session: Session, customer_id: int) -> int:
    """A customer's balance as the sum of their entries (the truth the cache must equal)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.customer_id == customer_id)
    )
    return int(total or 0)


def count(session: Session, customer_id: int) -> int:
    """How many entries a customer has (to key an entry to a point in their history)."""
    return int(session.scalar(select(func.count()).where(LedgerEntry.customer_id == customer_id)) or 0)


def history(session: Session, customer_id: int, limit: int = 500) -> list[LedgerEntry]:
    """A customer's entries, newest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.customer_id == customer_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )
