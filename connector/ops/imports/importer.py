"""Bringing a file of members over from another loyalty app into a shop's programme, a batch of rows at a
time through settling's front door: each accepted row is one ``import`` ledger entry keyed by the file's
hash and the member, so running the same file again (or again after an interruption) changes nothing, and a
second row for the same member is refused. A dry run reads and checks everything and writes nothing."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.db.columns import utcnow
from connector.db.referrals import ReferralLink
from connector.db.storage import Storage, upsert_insert
from connector.db.tables import CustomerRecord, LedgerEntry, Shop
from connector.errors import Invalid, NotFound
from connector.model import Customer
from connector.ops import exports
from connector.ops.imports import formats
from connector.ops.imports.formats import FileError, Refused, Row
from connector.outbox import pushes
from connector.programme import programme_of
from connector.rules.referrals import email_key
from connector.settle import door, ledger, members, tiers

BATCH = 500
MODES = ("add", "set")


@dataclass
class Report:
    """What an import did (or, dry, would do)."""

    source: str
    mode: str
    dry_run: bool
    rows: int = 0
    accepted: int = 0
    matched: int = 0
    new: int = 0
    already: int = 0
    """Rows an earlier run of the same file imported: nothing done again."""
    points: int = 0
    """The points the accepted rows carry, as the file says."""
    moved: int = 0
    """How far those rows moved balances (in ``set`` mode, the differences)."""
    tiers: Counter[str] = field(default_factory=Counter)
    birthdays: int = 0
    referral_codes: int = 0
    refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    failed_file: str | None = None


def failed_path(path: Path) -> Path:
    """Where the rows refused from ``path`` are written: beside it, ``<name>.failed.csv``."""
    return path.with_name(f"{path.name}.failed.csv")


def import_file(
    storage: Storage,
    shop_id: int,
    path: Path,
    source: str,
    *,
    mode: str = "add",
    dry_run: bool = False,
    tier_until: date | None = None,
    progress: Callable[[int], None] | None = None,
    refused_to: Path | None = None,
    queue: Queue | None = None,
) -> Report:
    """Import ``path`` (``source``'s export) into the shop. FileError for a file that can't be read at all,
        Invalid for a bad option, NotFound for an unknown shop. Refused rows go to ``refused_to`` (default:
        beside the file); ``progress`` hears the bytes read so far. What the store and the member are owed (their
    new balance and tier, events) is queued on ``queue`` as each batch commits (else the sweeper queues it)."""
    if mode not in MODES:
        raise Invalid(f"mode must be add or set, not {mode!r}")
    if source not in formats.SOURCES:
        raise Invalid(f"from must be one of {', '.join(formats.SOURCES)}, not {source!r}")
    until = tier_until or utcnow().date() + timedelta(days=365)
    if until < utcnow().date():
        raise Invalid("tier until must be today or later")
    with storage.session(read_only=True) as session:
        if session.get(Shop, shop_id) is None:
            raise NotFound(f"no shop {shop_id}")
    digest = _digest(path)
    report = Report(source, mode, dry_run)
    job = _Job(storage, shop_id, source, mode, until, digest, path.name, report, queue)
    failed = refused_to or failed_path(path)
    with path.open("rb") as raw, _Refusals(failed, _header(path)) as refusals:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        batch: list[Row] = []
        try:
            for item in formats.read(text, source):
                report.rows += 1
                if isinstance(item, Refused):
                    refusals.add(item)
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    refusals.extend(job.run(batch))
                    batch = []
                    if progress:
                        progress(raw.tell())
        except UnicodeDecodeError:
            raise FileError("the file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8") from None
        refusals.extend(job.run(batch))
        if progress:
            progress(raw.tell())
    report.refused, report.reasons = refusals.count, refusals.reasons
    report.failed_file = str(failed) if refusals.count else None
    return report


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()[:16]


def _header(path: Path) -> list[str] | None:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as text:
        _, cells = formats.first_row(text.readline())
    return None if cells and formats.EMAIL.match(cells[0].strip()) else cells


class _Refusals:
    """The refused rows, written as they come to a CSV (row, the problem in a few words, the reason in full,
    then the row's cells as the file had them); the file is removed when nothing was refused."""

    def __init__(self, path: Path, header: list[str] | None) -> None:
        self.path, self.header = path, header
        self.count, self.reasons = 0, Counter[str]()
        self.out: io.TextIOWrapper | None = None

    def __enter__(self) -> _Refusals:
        return self

    def add(self, refused: Refused) -> None:
        if self.out is None:
            self.out = self.path.open("w", encoding="utf-8", newline="")
            self.writer = exports.writer(self.out)
            self.writer.writerow(["row", "problem", "reason", *(self.header or [])])
        self.writer.writerow([refused.line, refused.kind, refused.reason, *refused.cells])
        self.count += 1
        self.reasons[refused.kind] += 1

    def extend(self, refused: Iterator[Refused] | list[Refused]) -> None:
        for one in refused:
            self.add(one)

    def __exit__(self, *exc: object) -> None:
        if self.out is not None:
            self.out.close()
        elif self.path.exists():
            self.path.unlink()


@dataclass
class _Job:
    storage: Storage
    shop_id: int
    source: str
    mode: str
    until: date
    digest: str
    name: str
    report: Report
    queue: Queue | None
    seen: set[str] = field(default_factory=set)
    """A dry run's members by identity, to find a file's duplicate rows without writing."""

    def run(self, batch: list[Row]) -> list[Refused]:
        """Apply (or, dry, check) one batch of rows; the rows refused."""
        if not batch:
            return []
        if self.report.dry_run:
            with self.storage.session(read_only=True) as session:
                shop = session.get(Shop, self.shop_id)
                assert shop is not None
                return self._rows(session, shop, batch)
        with self.storage.session() as session:
            shop = session.get(Shop, self.shop_id, with_for_update=True)
            if shop is None:
                raise NotFound(f"no shop {self.shop_id}")
            outcome = door.settle(session, door.Step(shop, lambda s, sh: door.Applied(self._rows(s, sh, batch))))
        if self.queue is not None:
            pushes.dispatch(self.storage, self.queue, outcome.pushes)
        return outcome.result

    def _rows(self, session: Session, shop: Shop, batch: list[Row]) -> list[Refused]:
        refused: list[Refused] = []
        names = {t.name.casefold(): t.name for t in programme_of(shop).tiers}
        good: list[Row] = []
        for row in batch:
            if row.tier and row.tier.casefold() not in names:
                known = ", ".join(names.values()) or "none"
                reason = f"unknown tier {row.tier[:40]!r}: the programme's tiers are {known}"
                refused.append(Refused(row.line, reason, row.cells, "unknown tier"))
            else:
                good.append(row)
        found = _members(session, shop.id, good)
        fresh = [row for row in good if id(row) not in found]
        new = {id(row) for row in fresh}
        if not self.report.dry_run:
            created = members.customer_records(session, shop.id, [_customer(row) for row in fresh])
            ids = {id(r): made.id for r in fresh if (made := created.get(_customer(r).key)) is not None}
            query = select(CustomerRecord).where(CustomerRecord.id.in_(ids.values()))
            loaded = {member.id: member for member in session.scalars(query)}
            found.update({row_id: loaded[member_id] for row_id, member_id in ids.items()})
        keys = {f"import:{self.digest}:{m.id}" for m in found.values()}
        done = dict(
            session.execute(
                select(LedgerEntry.key, LedgerEntry.source_id).where(
                    LedgerEntry.shop_id == shop.id, LedgerEntry.key.in_(keys)
                )
            ).all()
        ) if keys else {}  # fmt: skip
        entries: list[tuple[int, ledger.NewEntry]] = []
        for row in good:
            member = found.get(id(row))
            identity = f"member:{member.id}" if member else f"new:{row.customer_id or row.email}"
            here = f"{self.digest}:{row.line}"
            key = f"import:{self.digest}:{member.id}" if member else None
            earlier = done.get(key) if key else None
            if earlier == here:
                self.report.already += 1
                continue
            if earlier is not None or identity in self.seen:
                line = f"row {earlier.rsplit(':', 1)[-1]}" if earlier else "an earlier row"
                reason = f"duplicate: the same customer is on {line} of the file"
                refused.append(Refused(row.line, reason, row.cells, "duplicate"))
                continue
            if self.report.dry_run or key is None:
                self.seen.add(identity)
            else:
                done[key] = here
            self._count(row, id(row) in new)
            if self.report.dry_run or member is None:
                continue
            moved = row.points if self.mode == "add" else row.points - member.points
            self.report.moved += moved
            note = f"Brought over from {formats.NAMES[self.source]} ({self.name}, row {row.line})"
            rule = f"import_{self.mode}"
            entries.append((member.id, ledger.NewEntry(key, "import", moved, "import", here, rule, note=note[:255])))  # type: ignore[arg-type]
            self._rest(session, shop, member, row, names)
        ledger.append_many(session, shop.id, entries)
        return refused

    def _count(self, row: Row, new: bool) -> None:
        report = self.report
        report.accepted += 1
        report.points += row.points
        if new:
            report.new += 1
        else:
            report.matched += 1
        if row.tier:
            report.tiers[row.tier.casefold()] += 1
        if row.birthday:
            report.birthdays += 1

    def _rest(self, session: Session, shop: Shop, member: CustomerRecord, row: Row, names: dict[str, str]) -> None:
        if row.tier:
            why = f"imported from {formats.NAMES[self.source]}"
            tiers.set_by_hand(session, shop, member, names[row.tier.casefold()], self.until, why)
        if row.birthday and member.birthday is None:
            member.birthday = row.birthday
        if row.referral_code and _keep_code(session, shop.id, member.id, row.referral_code):
            self.report.referral_codes += 1


def _customer(row: Row) -> Customer:
    return Customer(row.customer_id, row.email, row.first_name, row.last_name)


def _members(session: Session, shop_id: int, rows: list[Row]) -> dict[int, CustomerRecord]:
    """The members the rows name, by the row's identity: the store's customer id first, else the e-mail
    (without regard to case)."""
    by_id: dict[str, CustomerRecord] = {}
    ids = {row.customer_id for row in rows if row.customer_id}
    if ids:
        query = select(CustomerRecord).where(CustomerRecord.shop_id == shop_id, CustomerRecord.platform_id.in_(ids))
        by_id = {m.platform_id: m for m in session.scalars(query) if m.platform_id}
    by_email: dict[str, CustomerRecord] = {}
    emails = {row.email for row in rows if row.email and row.customer_id not in by_id}
    if emails:
        query = select(CustomerRecord).where(
            CustomerRecord.shop_id == shop_id, CustomerRecord.email_key.in_({email_key(e) for e in emails})
        )
        for member in session.scalars(query.order_by(CustomerRecord.platform_id.is_(None), CustomerRecord.id)):
            if member.email and member.email.casefold() in emails:
                by_email.setdefault(member.email.casefold(), member)
    found: dict[int, CustomerRecord] = {}
    for row in rows:
        member = by_id.get(row.customer_id or "") or by_email.get(row.email or "")
        if member is not None:
            found[id(row)] = member
    return found


def _keep_code(session: Session, shop_id: int, member_id: int, code: str) -> bool:
    """Keep the member's old referral code as their link's, when they have none yet and no one else has it."""
    kept = session.execute(
        upsert_insert(session, ReferralLink)
        .values(shop_id=shop_id, customer_id=member_id, code=code, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    return bool(kept.rowcount)
