"""``sadakat simulate``: a sandbox store's traffic through the real receiver, and what came of it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import requests
from sqlalchemy import func, select

from connector.db.storage import Storage
from connector.db.store_credit import StoreCreditMovement
from connector.db.tables import LedgerEntry, Push, TierChange, WebhookEvent, utcnow


class Request(Protocol):
    """One request the sandbox sends (``adapters.sandbox.SimulatedRequest``)."""

    path: str
    headers: dict[str, str]
    body: bytes
    what: str


class Unreachable(Exception):
    """Sadakat did not answer at the address tried."""


@dataclass
class Report:
    """What was sent, how it was answered, and what Sadakat made of it."""

    seed: int
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    settled: bool = False
    waiting: int = 0
    points_earned: int = 0
    points_taken_back: int = 0
    codes: int = 0
    tier_changes: int = 0
    credit_given: Decimal = Decimal(0)
    credit_taken: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "seed": self.seed,
            "sent": dict(self.sent),
            "answers": {str(k): v for k, v in self.answers.items()},
            "settled": self.settled,
            "waiting": self.waiting,
            "points_earned": self.points_earned,
            "points_taken_back": self.points_taken_back,
            "codes": self.codes,
            "tier_changes": self.tier_changes,
            "store_credit_given": str(self.credit_given),
            "store_credit_taken_back": str(self.credit_taken),
        }

    def refused(self) -> dict[int, int]:
        """Answers that were not a 2xx, by status code."""
        return {code: n for code, n in self.answers.items() if not _accepted(code)}

    def lines(self) -> list[str]:
        """The summary in plain words."""
        parcels = self.sent["shipment"]
        news = sum(n for what, n in self.sent.items() if what.startswith("carrier "))
        lines = [
            f"Sent {self.sent['order']} orders ({self.sent['refund']} refunded, {self.sent['cancel']} cancelled, "
            f"{self.sent['order pending']} paid later), {parcels} parcels with {news} carrier updates, "
            f"and {self.sent['repeated delivery']} repeated deliveries (Sadakat counts those once).",
            f"Points earned: {self.points_earned}; taken back by refunds and cancellations: {self.points_taken_back}.",
            f"Gift codes issued: {self.codes}. Tier changes: {self.tier_changes}.",
            f"Store credit given as cashback: {self.credit_given}; taken back by refunds and cancellations: "
            f"{self.credit_taken}.",
        ]
        if not self.settled:
            lines.append(
                f"{self.waiting} events are still waiting for a worker: the figures above are not final "
                "(is “make run” or “sadakat worker” running?)."
            )
        refused = self.refused()
        if refused:
            lines.append(f"Some requests were not accepted: {refused}.")
        return lines


def _accepted(code: int) -> bool:
    # 202: carrier news that came before its shipment was processed; kept, and applied when it is.
    return 200 <= code < 300


def simulate(
    storage: Storage, shop_id: int, base_url: str, traffic: Iterable[Request], seed: int, wait_seconds: float
) -> Report:
    """Post ``traffic`` to Sadakat at ``base_url``, wait up to ``wait_seconds`` for it to settle, and report."""
    report = Report(seed=seed)
    started = utcnow()
    with requests.Session() as http:
        for req in traffic:
            try:
                response = http.post(base_url + req.path, data=req.body, headers=req.headers, timeout=30)
            except requests.RequestException as exc:
                raise Unreachable(type(exc).__name__) from None
            report.sent[req.what] += 1
            report.answers[response.status_code] += 1
    deadline = time.monotonic() + wait_seconds
    while True:
        report.waiting = _pending(storage, shop_id, started)
        if report.waiting == 0 or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    report.settled = report.waiting == 0
    _outcome(storage, shop_id, started, report)
    return report


def _pending(storage: Storage, shop_id: int, since: datetime) -> int:
    with storage.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    WebhookEvent.shop_id == shop_id,
                    WebhookEvent.received_at >= since,
                    WebhookEvent.status == WebhookEvent.PENDING,
                )
            )
            or 0
        )


def _outcome(storage: Storage, shop_id: int, since: datetime, report: Report) -> None:
    with storage.session() as session:
        entries = session.execute(
            select(LedgerEntry.points).where(LedgerEntry.shop_id == shop_id, LedgerEntry.created_at >= since)
        ).scalars()
        for points in entries:
            if points > 0:
                report.points_earned += points
            else:
                report.points_taken_back -= points
        report.codes = int(
            session.scalar(
                select(func.count()).where(
                    Push.shop_id == shop_id, Push.kind == "discount_code", Push.created_at >= since
                )
            )
            or 0
        )
        moved = session.execute(
            select(StoreCreditMovement.direction, func.sum(StoreCreditMovement.amount))
            .where(StoreCreditMovement.shop_id == shop_id, StoreCreditMovement.created_at >= since)
            .group_by(StoreCreditMovement.direction)
        ).all()
        sums = {direction: Decimal(total or 0) for direction, total in moved}
        report.credit_given = sums.get(StoreCreditMovement.CREDIT, Decimal(0))
        report.credit_taken = sums.get(StoreCreditMovement.DEBIT, Decimal(0))
        report.tier_changes = int(
            session.scalar(select(func.count()).where(TierChange.shop_id == shop_id, TierChange.created_at >= since))
            or 0
        )
