"""Processing stored events: claimed in batches, parsed through their adapters, applied once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from adapters import UnknownTrackingService, get_adapter, get_tracking_service
from adapters.base import PayloadError
from connector import faults
from connector.db.storage import Storage
from connector.db.tables import Shop, WebhookEvent, utcnow
from connector.inbox.receive import decode_json
from connector.model import AmountLimitError, StoreEvent
from connector.settle import door, engine, lifecycle, tracking

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processed:
    """An event's status after processing, and the pushes (push id, shop id) it asked for."""

    status: str
    pushes: list[tuple[int, int]] = field(default_factory=list)
    erase_shop: int | None = None
    """The shop to erase once this transaction commits (``shop/redact``; its event stays pending until then)."""


def process(storage: Storage, event_id: int) -> Processed:
    """Parse a pending event through its shop's adapter and apply it, in one transaction.

    Returns the event's status and the pushes to queue once committed. Safe to call twice or
    concurrently: the row is locked, and an event that is no longer pending is left alone. A payload the
    adapter can't read is a permanent failure, recorded on the event; any other error propagates so the
    job is retried.
    """
    named = _find_named_bodies(storage, _parse_pending(storage, [event_id]))
    with storage.session() as session:
        processed = _process_in(session, event_id, count_attempt=True, named=named)
    if processed.erase_shop is not None:
        lifecycle.erase_shop(storage, processed.erase_shop)
        return Processed("erased")
    return processed


def _process_in(
    session: Session, event_id: int, *, count_attempt: bool, named: dict[int, lifecycle.NamedBodies]
) -> Processed:
    prepared = _prepare(session, event_id, count_attempt=count_attempt, found=named.get(event_id))
    if isinstance(prepared, Processed):
        return prepared
    requested = engine.settle(session, [prepared])
    _mark_processed(session, [event_id])
    faults.point("event.before_commit")
    return Processed(WebhookEvent.PROCESSED, requested)


def _prepare(
    session: Session, event_id: int, *, count_attempt: bool, found: lifecycle.NamedBodies | None
) -> Processed | engine.Item:
    """Lock a pending event and read it. A store's order, refund, shipment or account event comes back to
    be settled; anything else (carrier news, an uninstall or erasure, a payload that can't be read or
    converted) is applied or failed here, and its outcome comes back. ``found``: for a customer's
    redaction, the stored bodies that name them, searched for before this transaction."""
    event = session.get(WebhookEvent, event_id, with_for_update=True)
    if event is None:
        return Processed("missing")
    if event.status != WebhookEvent.PENDING:
        return Processed(event.status)
    if count_attempt:
        event.attempts += 1
    service = tracking.service_of(event.topic)
    try:
        if service is not None:
            carrier_news = get_tracking_service(service).read({}, decode_json(event.body)).updates
        else:
            store_event = get_adapter(event.shop.platform).parse(event.topic, decode_json(event.body))
    except (PayloadError, UnknownTrackingService, AmountLimitError) as exc:
        return _failed(event, f"unreadable {event.topic} payload: {exc}")
    if service is not None:
        news = door.settle(session, tracking.CarrierNews(event.shop, carrier_news, event.id))
        return _done(event, WebhookEvent.PROCESSED if news.result else WebhookEvent.UNMATCHED, news.pushes)
    if store_event.lifecycle is not None and store_event.lifecycle.kind == "shop_redact":
        return Processed(event.status, erase_shop=event.shop_id)  # this event goes too, with the shop
    if store_event.lifecycle is not None:
        done = door.settle(session, lifecycle.Request(event.shop, store_event.lifecycle, found))
        return _done(event, WebhookEvent.PROCESSED, done.pushes)
    return _store_item(session, event.id, event.shop, store_event) or Processed(event.status)


def _store_item(session: Session, event_id: int, shop: Shop, store_event: StoreEvent) -> engine.Item | None:
    """A store's event made ready to settle; None when it can't be (then it fails, and waits in the care
    queue)."""
    ready = engine.item(session, event_id, shop, store_event)
    if isinstance(ready, engine.Unconvertible):
        event = session.get(WebhookEvent, event_id)
        assert event is not None
        _failed(event, ready.reason)
        return None
    return ready


def _failed(event: WebhookEvent, error: str) -> Processed:
    event.status, event.error, event.processed_at = WebhookEvent.FAILED, error, utcnow()
    return Processed(event.status)


def _done(event: WebhookEvent, status: str, requested: door.Pushes) -> Processed:
    event.status, event.error, event.processed_at = status, None, utcnow()
    faults.point("event.before_commit")
    return Processed(event.status, requested)


def _mark_processed(session: Session, event_ids: list[int]) -> None:
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id.in_(event_ids))
        .values(status=WebhookEvent.PROCESSED, error=None, processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@dataclass
class Batch:
    """What one drain transaction did: the events it applied, the pushes they asked for, and the events
    that raised (id → error) or hold a value the database can't store (id → reason)."""

    claimed: list[int] = field(default_factory=list)
    pushes: list[tuple[int, int]] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    unstorable: dict[int, str] = field(default_factory=dict)
    erased: list[int] = field(default_factory=list)
    """The shops erased after it committed (``shop/redact``)."""


def claim_fresh(storage: Storage, limit: int) -> list[int]:
    """Take up to ``limit`` pending events no one has tried yet, oldest first, counting the attempt in a
    committed transaction of its own: an event whose drain dies is then left to the sweeper's per-event
    jobs, which retry with a backoff, instead of sinking every later drain too."""
    with storage.session() as session:
        fresh = (
            select(WebhookEvent.id)
            .where(WebhookEvent.status == WebhookEvent.PENDING, WebhookEvent.attempts == 0)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
        if storage.dialect == "postgresql":
            fresh = fresh.with_for_update(skip_locked=True)  # parallel drains take disjoint batches
        claimed = session.scalars(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(fresh.scalar_subquery()))
            .values(attempts=WebhookEvent.attempts + 1)
            .returning(WebhookEvent.id)
        ).all()
    return sorted(claimed)


def process_batch(storage: Storage, event_ids: list[int]) -> Batch:
    """Apply claimed events in one transaction. The store events between two others (carrier news, an
    uninstall or erasure) are settled together by the engine in a savepoint; if that raises, each is
    settled alone in a savepoint of its own, so one that raises is rolled back alone and reported, and the
    others commit together. Exactly-once holds as in ``process``: every row is locked and only a pending
    one is applied."""
    batch = Batch(claimed=list(event_ids))
    readable = _parse_pending(storage, event_ids)
    named = _find_named_bodies(storage, readable)
    with storage.session() as session:
        pending = _lock_pending(session, list(readable))
        run: list[engine.Item] = []
        for event_id in event_ids:
            store_event, shop_id = readable.get(event_id), pending.get(event_id)
            if store_event is not None and store_event.lifecycle is None:
                shop = session.get(Shop, shop_id) if shop_id is not None else None
                if shop is not None and (item := _store_item(session, event_id, shop, store_event)) is not None:
                    run.append(item)
                continue  # else no longer pending, or failed as it can't be converted
            _settle_run(session, run, batch)  # what came before this event is settled before it
            run = []
            try:
                with session.begin_nested():
                    processed = _process_in(session, event_id, count_attempt=False, named=named)
                _add_pushes(batch, processed.pushes)
                if processed.erase_shop is not None:
                    batch.erased.append(processed.erase_shop)
            except (OperationalError, InterfaceError):
                raise
            except DataError as exc:
                session.expire_all()
                batch.unstorable[event_id] = f"the payload holds a value the database can't store: {exc.orig}"
            except Exception as exc:
                session.expire_all()
                batch.errors[event_id] = f"{type(exc).__name__}: {exc}"
        _settle_run(session, run, batch)
    for shop_id in batch.erased:
        lifecycle.erase_shop(storage, shop_id)
    return batch


def _lock_pending(session: Session, event_ids: list[int]) -> dict[int, int]:
    """Which of the events are still pending, locked: event id -> shop id."""
    table = WebhookEvent.__table__
    query = (
        select(table.c.id, table.c.shop_id)
        .where(table.c.id.in_(event_ids), table.c.status == WebhookEvent.PENDING)
        .order_by(table.c.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {event_id: shop_id for event_id, shop_id in session.execute(query)}


def _settle_run(session: Session, run: list[engine.Item], batch: Batch) -> None:
    if len(run) > 1:
        try:
            with session.begin_nested():
                requested = engine.settle(session, run)
                _mark_processed(session, [item.event_id for item in run if item.event_id is not None])
                faults.point("event.before_commit")
        except (OperationalError, InterfaceError):
            raise  # the database itself is gone: nothing in this batch can commit
        except Exception:
            session.expire_all()  # what the savepoint did is gone: read everything afresh
            log.exception("settling %d events together failed; applying them one by one", len(run))
        else:
            _add_pushes(batch, requested)
            return
    for item in run:
        assert item.event_id is not None
        try:
            with session.begin_nested():
                requested = engine.settle(session, [item])
                _mark_processed(session, [item.event_id])
                faults.point("event.before_commit")
        except (OperationalError, InterfaceError):
            raise
        except DataError as exc:
            session.expire_all()
            batch.unstorable[item.event_id] = f"the payload holds a value the database can't store: {exc.orig}"
        except Exception as exc:
            session.expire_all()
            batch.errors[item.event_id] = f"{type(exc).__name__}: {exc}"
        else:
            _add_pushes(batch, requested)


def _add_pushes(batch: Batch, requested: list[tuple[int, int]]) -> None:
    for push in requested:
        if push not in batch.pushes:  # a member touched twice in a batch is synced once
            batch.pushes.append(push)


def _parse_pending(storage: Storage, event_ids: list[int]) -> dict[int, StoreEvent]:
    # The claimed events read through their shops' adapters (event id -> event) before the batch's
    # write transaction, which on SQLite holds the one write lock that the receiver's inserts wait for. A
    # stored body, its topic and a shop's platform never change, so this is what parsing under the lock
    # would give; the transaction still checks that each event is pending.
    table = WebhookEvent.__table__
    query = (
        select(table.c.id, table.c.topic, table.c.body, Shop.platform)
        .join(Shop, Shop.id == table.c.shop_id)
        .where(table.c.id.in_(event_ids), table.c.status == WebhookEvent.PENDING)
        .where(~table.c.topic.startswith("carrier/"))
    )
    readable: dict[int, StoreEvent] = {}
    with storage.session(read_only=True) as session:
        rows = session.execute(query).all()
    for row in rows:
        try:
            readable[row.id] = get_adapter(row.platform).parse(row.topic, decode_json(row.body))
        except Exception:  # unreadable, or an adapter bug: the per-event path records why
            continue
    return readable


def _find_named_bodies(storage: Storage, readable: dict[int, StoreEvent]) -> dict[int, lifecycle.NamedBodies]:
    # For each customer's redaction among the events, the stored bodies that name them, searched for now,
    # before the write transaction (see ``lifecycle.NamedBodies``).
    asked = {i: e.lifecycle for i, e in readable.items() if e.lifecycle and e.lifecycle.kind == "customer_redact"}
    if not asked:
        return {}
    with storage.session(read_only=True) as session:
        shops = dict(
            session.execute(select(WebhookEvent.id, WebhookEvent.shop_id).where(WebhookEvent.id.in_(asked))).all()
        )
    return {i: lifecycle.find_named_bodies(storage, shops[i], request) for i, request in asked.items() if i in shops}


def fail(storage: Storage, event_id: int, error: str) -> None:
    """Mark a pending event failed for good (its payload can't be stored), for admins to see."""
    with storage.session() as session:
        event = session.get(WebhookEvent, event_id, with_for_update=True)
        if event is not None and event.status == WebhookEvent.PENDING:
            event.attempts += 1
            event.status = WebhookEvent.FAILED
            event.error = error[:2000]
            event.processed_at = utcnow()


def record_error(storage: Storage, event_id: int, error: str, *, count_attempt: bool = True) -> None:
    """Note a failed attempt on a still-pending event (in its own transaction), for admins to see."""
    with storage.session() as session:
        event = session.get(WebhookEvent, event_id, with_for_update=True)
        if event is not None and event.status == WebhookEvent.PENDING:
            event.attempts += int(count_attempt)
            event.error = error[:2000]
