"""Reading another loyalty app's export: each source's columns by their documented names, one row at a time
(a file of any size is never held whole), each row either a member to bring over or a refusal and its reason.

Headers are matched without regard to case, spaces, underscores or brackets ("Points Balance",
"points_balance" and "POINTSBALANCE" are one column). A file may start with a byte-order mark, use ``;`` or
tabs (as spreadsheets export) and quote its fields. A file with no header row whose first cell is an
e-mail is read as ``email, points`` (LoyaltyLion's and Smile's two-column templates)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO
from urllib.parse import parse_qsl, urlsplit

from connector.errors import Invalid
from connector.model import NO_YEAR

MAX_POINTS = 1_000_000_000

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "smile": {
        "email": ("email",),
        "customer_id": ("externalid", "customerexternalid"),
        "points": ("points", "pointsbalance"),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "birthday": ("dateofbirth", "birthday"),
        "referral": ("referralurl", "referralcode"),
        "tier": ("viptier", "viptiername", "tier"),
    },
    "loyaltylion": {
        "email": ("email", "customeremail"),
        "customer_id": ("merchantid", "customerid"),
        "points": ("points", "pointsapproved", "pointsbalance"),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "birthday": ("birthday", "dateofbirth"),
        "referral": ("referralurl", "referrallink"),
        "tier": ("tier", "tiername", "currenttier"),
    },
    "yotpo": {
        "email": ("email", "emails"),
        "customer_id": ("customerid", "shopifyid"),
        "points": ("pointsbalance", "currentpointsbalance", "points"),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "full_name": ("fullname",),
        "birthday": ("birthday*",),
        "referral": ("referrallink", "referralurl", "referralcode"),
        "tier": ("viptier", "viptiername", "tier"),
    },
    "joy": {
        "email": ("email",),
        "full_name": ("name",),
        "points": ("points",),
        "birthday": ("birthday*",),
        "tier": ("membershiptype", "viptier", "tier"),
    },
    "wployalty": {
        "email": ("email", "useremail"),
        "points": ("points",),
        "referral": ("referralcode",),
        "tier": ("level", "levelname"),
    },
    "woo-points-rewards": {
        "email": ("email", "useremail"),
        "customer_id": ("userid", "customerid"),
        "points": ("points", "pointsbalance"),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
    },
    "generic": {
        "email": ("email",),
        "customer_id": ("customerid",),
        "points": ("points",),
        "tier": ("tier",),
        "birthday": ("birthday",),
        "referral": ("referralcode",),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
    },
}
SOURCES = tuple(COLUMNS)
NAMES = {
    "smile": "Smile",
    "loyaltylion": "LoyaltyLion",
    "yotpo": "Yotpo",
    "joy": "Joy",
    "wployalty": "WPLoyalty",
    "woo-points-rewards": "WooCommerce Points & Rewards",
    "generic": "Sadakat's own format",
}


PROBLEMS = {
    "not an e-mail address": "email",
    "no one named": "no_one",
    "bad customer id": "customer_id",
    "points not a number": "points",
    "negative points": "negative",
    "not a birthday": "birthday",
    "unknown tier": "tier",
    "duplicate": "duplicate",
}
"""Each kind of refusal (``Refused.kind``), and the name pages say it by."""


class FileError(Invalid):
    """A file that can't be read as the source's export at all; the message says what it lacks."""


@dataclass(frozen=True)
class Row:
    """A member to bring over, as the file says: an e-mail and/or the store's customer id, and the rest."""

    line: int
    email: str | None
    customer_id: str | None
    points: int
    tier: str | None = None
    birthday: date | None = None
    referral_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    cells: list[str] = field(default_factory=list, repr=False, compare=False)


@dataclass(frozen=True)
class Refused:
    """A row that won't be imported, and why, with the cells as the file had them."""

    line: int
    reason: str
    cells: list[str]
    kind: str = ""
    """The reason in a few words, for counting ("negative points")."""


EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;.]{2,}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{3,16}$")
DATES = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ].*)?$"),
    re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}))?$"),
)


def header_key(name: str) -> str:
    """ "Points Balance", "points_balance", " POINTS-BALANCE " → "pointsbalance"."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def read(stream: IO[str], source: str) -> Iterator[Row | Refused]:
    """Each data row of ``stream`` (opened with ``encoding="utf-8-sig"``, ``newline=""``) as a Row or a
    Refused. FileError when the header names no e-mail or customer id column."""
    if source not in COLUMNS:
        raise FileError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    first = stream.readline()
    if not first.strip():
        raise FileError("the file is empty")
    delimiter, header = first_row(first)
    if EMAIL.match(header[0].strip()):
        columns: dict[str, int] = {"email": 0, "points": 1}
        rows: Iterator[list[str]] = _chain(header, csv.reader(stream, delimiter=delimiter))
        line = 0
    else:
        columns = _columns(header, COLUMNS[source])
        rows = csv.reader(stream, delimiter=delimiter)
        line = 1
    if "email" not in columns and "customer_id" not in columns:
        raise FileError(
            f"the file has no e-mail or customer id column: a {NAMES[source]} export names each customer by one"
        )
    for cells in rows:
        line += 1
        if not any(cell.strip() for cell in cells):
            continue
        yield _row(line, cells, columns)


def first_row(line: str) -> tuple[str, list[str]]:
    """The file's separator (the one its first line uses most) and that line's cells."""
    delimiter = max((",", ";", "\t"), key=line.count)
    return delimiter, next(csv.reader([line], delimiter=delimiter))


def _chain(first: list[str], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rest


def _columns(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [header_key(name) for name in header]
    found: dict[str, int] = {}
    for name, options in aliases.items():
        for option in options:
            at = next((i for i, key in enumerate(keys) if _same(key, option)), None)
            if at is not None:
                found[name] = at
                break
    return found


def _same(key: str, option: str) -> bool:
    """Whether a header is the column: ``birthday*`` is any header starting "birthday" ("Birthday (MM/DD)")."""
    return key == option or (option.endswith("*") and key.startswith(option[:-1]))


def _row(line: int, cells: list[str], columns: dict[str, int]) -> Row | Refused:
    def cell(field: str) -> str:
        at = columns.get(field)
        return cells[at].strip() if at is not None and at < len(cells) else ""

    email, customer_id = cell("email") or None, cell("customer_id") or None
    if email is not None and not EMAIL.match(email):
        return Refused(line, f"the e-mail {email[:80]!r} is not an e-mail address", cells, "not an e-mail address")
    if email is None and customer_id is None:
        return Refused(line, "no e-mail and no customer id: the row names no one", cells, "no one named")
    if customer_id is not None and (len(customer_id) > 64 or not customer_id.isprintable()):
        return Refused(
            line, "the customer id is not one a store gives (at most 64 letters and digits)", cells, "bad customer id"
        )
    points = _points(cell("points"))
    if isinstance(points, str):
        return Refused(line, points, cells, "negative points" if "negative" in points else "points not a number")
    birthday = _birthday(cell("birthday"))
    if isinstance(birthday, str):
        return Refused(line, birthday, cells, "not a birthday")
    first, last = cell("first_name") or None, cell("last_name") or None
    if not first and not last and cell("full_name"):
        first, _, rest = cell("full_name").partition(" ")
        last = rest.strip() or None
    return Row(
        line,
        email.casefold() if email else None,
        customer_id,
        points,
        tier=cell("tier") or None,
        birthday=birthday,
        referral_code=referral_code(cell("referral")),
        first_name=first[:255] if first else None,
        last_name=last[:255] if last else None,
        cells=cells,
    )


def _points(text: str) -> int | str:
    if not text:
        return 0
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")
    if re.fullmatch(r"[+-]?\d+(\.0+)?", cleaned) is None:
        return f"points {text[:40]!r} is not a whole number"
    points = int(cleaned.split(".")[0])
    if points < 0:
        return f"points {points:,} is negative: a balance can't be below zero"
    if points > MAX_POINTS:
        return f"points {points:,} is more than {MAX_POINTS:,}"
    return points


def _birthday(text: str) -> date | str | None:
    if not text:
        return None
    for pattern in DATES:
        if found := pattern.match(text):
            year = int(found["y"]) if found["y"] and found["y"] not in ("1004", "0000") else NO_YEAR
            try:
                day = date(year, int(found["m"]), int(found["d"]))
            except ValueError:
                break
            if year != NO_YEAR and not 1900 <= year <= date.today().year:
                return f"the birthday {text[:20]!r} is not a real date of birth"
            return day
    return f"the birthday {text[:20]!r} is not a date like 1990-05-17 or 05/17"


def referral_code(text: str) -> str | None:
    """The code at the end of a referral link (its last path part, else its one query value), or the code."""
    if not text:
        return None
    if "://" in text or text.startswith("www."):
        parts = urlsplit(text if "://" in text else f"https://{text}")
        segments = [s for s in parts.path.split("/") if s]
        values = [value for _, value in parse_qsl(parts.query)]
        text = values[0] if len(values) == 1 and not segments else (segments[-1] if segments else "")
    return text if CODE.match(text) else None
