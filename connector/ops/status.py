"""Is it working, and for which stores? The facts behind the admin overview, /healthz, /metrics and doctor."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.db.after_delivery import CareItem
from connector.db.storage import Storage
from connector.db.tables import Push, Shop, WebhookEvent, utcnow
from connector.queue.connection import QUEUE_NAME

SEEN_WITHIN = timedelta(minutes=1)
"""A worker or scheduler that hasn't sent a heartbeat for this long counts as gone."""
STUCK_AFTER = timedelta(minutes=5)
"""An event still pending this long after it arrived is stuck (no worker, or it keeps failing)."""


@dataclass(frozen=True)
class ShopStatus:
    """One shop at a glance."""

    id: int
    platform: str
    domain: str
    installed: bool
    last_webhook_at: datetime | None
    events_24h: dict[str, int]
    failed_events: int
    stuck_events: int
    failed_pushes: int
    open_care: int = 0


@dataclass(frozen=True)
class Process:
    """A worker or scheduler registered in Redis."""

    name: str
    state: str
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class QueueStatus:
    """The RQ queue and the processes serving it."""

    queued: int
    started: int
    failed_jobs: int
    scheduled: int
    workers: list[Process] = field(default_factory=list)
    schedulers: list[Process] = field(default_factory=list)

    def alive(self, processes: list[Process], now: datetime) -> list[Process]:
        """Those of ``processes`` heard from within SEEN_WITHIN."""
        return [p for p in processes if p.last_heartbeat and now - p.last_heartbeat <= SEEN_WITHIN]


def shop_statuses(session: Session, now: datetime | None = None) -> list[ShopStatus]:
    """Every shop with its recent traffic and what has failed."""
    now = now or utcnow()
    since = now - timedelta(hours=24)
    last = dict(
        session.execute(
            select(WebhookEvent.shop_id, func.max(WebhookEvent.received_at)).group_by(WebhookEvent.shop_id)
        ).all()
    )
    recent: dict[int, dict[str, int]] = defaultdict(dict)
    for shop_id, status, count in session.execute(
        select(WebhookEvent.shop_id, WebhookEvent.status, func.count())
        .where(WebhookEvent.received_at >= since)
        .group_by(WebhookEvent.shop_id, WebhookEvent.status)
    ):
        recent[shop_id][status] = count
    failed = _count_by_shop(session, WebhookEvent.shop_id, WebhookEvent.status == WebhookEvent.FAILED)
    stuck = _count_by_shop(
        session,
        WebhookEvent.shop_id,
        WebhookEvent.status == WebhookEvent.PENDING,
        WebhookEvent.received_at < now - STUCK_AFTER,
    )
    failed_pushes = _count_by_shop(session, Push.shop_id, Push.status == Push.FAILED)
    open_care = _count_by_shop(session, CareItem.shop_id, CareItem.status == CareItem.OPEN)
    return [
        ShopStatus(
            id=shop.id,
            platform=shop.platform,
            domain=shop.domain,
            installed=shop.uninstalled_at is None,
            last_webhook_at=last.get(shop.id),
            events_24h=recent.get(shop.id, {}),
            failed_events=failed.get(shop.id, 0),
            stuck_events=stuck.get(shop.id, 0),
            failed_pushes=failed_pushes.get(shop.id, 0),
            open_care=open_care.get(shop.id, 0),
        )
        for shop in session.scalars(select(Shop).order_by(Shop.id))
    ]


def _count_by_shop(session: Session, column: object, *conditions: object) -> dict[int, int]:
    return dict(session.execute(select(column, func.count()).where(*conditions).group_by(column)).all())


def queue_status(redis: Redis) -> QueueStatus:
    """Depths of the queue and its registries, and the workers and schedulers Redis knows of."""
    queue = Queue(QUEUE_NAME, connection=redis)
    return QueueStatus(
        queued=queue.count,
        started=StartedJobRegistry(queue=queue).count,
        failed_jobs=FailedJobRegistry(queue=queue).count,
        scheduled=ScheduledJobRegistry(queue=queue).count,
        workers=[
            Process(w.name, str(w.get_state()), w.last_heartbeat)
            for w in Worker.all(connection=redis)
            if QUEUE_NAME in w.queue_names()
        ],
        schedulers=[Process(s.name, "running", s.last_heartbeat) for s in CronScheduler.all(connection=redis)],
    )


def problems(
    shops: list[ShopStatus], queue: QueueStatus, now: datetime | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Each thing that isn't healthy, as the name of its sentence and the sentence's values (the admin pages
    word them in the admin's language); empty when all is well."""
    now = now or utcnow()
    found: list[tuple[str, dict[str, Any]]] = []
    if not queue.alive(queue.workers, now):
        found.append(("problem_no_worker", {}))
    if not queue.alive(queue.schedulers, now):
        found.append(("problem_no_scheduler", {}))
    if queue.failed_jobs:
        found.append(("problem_failed_jobs", {"n": queue.failed_jobs}))
    for shop in shops:
        where = {"shop": shop.id, "domain": shop.domain}
        if shop.failed_events:
            found.append(("problem_failed_events", where | {"n": shop.failed_events}))
        if shop.stuck_events:
            minutes = int(STUCK_AFTER.total_seconds() // 60)
            found.append(("problem_stuck_events", where | {"n": shop.stuck_events, "minutes": minutes}))
        if shop.failed_pushes:
            found.append(("problem_failed_pushes", where | {"n": shop.failed_pushes}))
    return found


@dataclass(frozen=True)
class StoredCounts:
    """What the database holds, counted for /metrics: pushes by kind and status, inbox events by status,
    shops by platform."""

    pushes: list[tuple[str, str, int]]
    events: list[tuple[str, int]]
    shops: list[tuple[str, int]]


def stored_counts(storage: Storage) -> StoredCounts:
    """Three grouped counts, in one read."""
    with storage.session(read_only=True) as session:
        pushes = session.execute(
            select(Push.kind, Push.status, func.count()).group_by(Push.kind, Push.status).order_by(Push.kind)
        ).all()
        events = session.execute(
            select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status).order_by(WebhookEvent.status)
        ).all()
        shops = session.execute(select(Shop.platform, func.count()).group_by(Shop.platform).order_by(Shop.platform))
        return StoredCounts(
            [(k, s, int(n)) for k, s, n in pushes], [(s, int(n)) for s, n in events], [(p, int(n)) for p, n in shops]
        )
