"""Imports from the admin: the upload is kept under the data directory (copied a chunk at a time, never held
whole), checked first in a dry run by a worker, then imported from the same file when the merchant says so;
each run records how far it is and its report, for the admin's page to show."""

from __future__ import annotations

import csv
import secrets
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import IO, Any

from rq import Queue
from sqlalchemy import select, update

from connector.db.columns import utcnow
from connector.db.merchants import ImportRun
from connector.db.storage import Storage
from connector.errors import Invalid, NotFound
from connector.ops.imports import formats, importer
from connector.ops.merchants import audit
from connector.queue.connection import enqueue_import

RECENT = 10
REFUSED_SHOWN = 100
PROGRESS_EVERY_BYTES = 256 * 1024


def folder(data_dir: Path, shop_id: int) -> Path:
    """Where a shop's uploads are kept."""
    return data_dir / "imports" / str(shop_id)


def upload(
    storage: Storage,
    data_dir: Path,
    shop_id: int,
    stream: IO[bytes],
    file_name: str,
    options: dict[str, Any],
    by: str,
    queue: Queue,
) -> int:
    """Keep an uploaded file and queue its dry run. Invalid (naming the field) for a bad option or an empty
    file. Returns the run's id."""
    source, mode, until = checked(options)
    name = "".join(ch for ch in Path(file_name or "").name if ch.isprintable())[:200] or "upload.csv"
    place = folder(data_dir, shop_id)
    place.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = f"{secrets.token_hex(16)}.csv"
    with (place / stored).open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    size = (place / stored).stat().st_size
    if size == 0:
        (place / stored).unlink()
        raise Invalid("file: the file is empty")
    with storage.session() as session:
        run = ImportRun(shop_id=shop_id, file_name=name, stored=stored, size=size, source=source, mode=mode,
                        tier_until=until, dry_run=True, status="queued", bytes_done=0, by=by[:120])  # fmt: skip
        session.add(run)
        session.flush()
        run_id = run.id
    enqueue_import(queue, run_id)
    return run_id


def checked(options: dict[str, Any]) -> tuple[str, str, date | None]:
    """(source, mode, tier until) from a form's or a request's fields; Invalid naming the field."""
    source, mode, until = options.get("source"), options.get("mode") or "add", options.get("tier_until") or None
    if source not in formats.SOURCES:
        raise Invalid(f"source: choose the app the file comes from ({', '.join(formats.SOURCES)})")
    if mode not in importer.MODES:
        raise Invalid("mode: add or set")
    if until is None:
        return source, mode, None
    try:
        day = date.fromisoformat(str(until))
    except ValueError:
        raise Invalid("tier_until: a date like 2027-12-31") from None
    if day < utcnow().date():
        raise Invalid("tier_until: today or later")
    return source, mode, day


class NotChecked(Invalid):
    """An import asked for before its file's check finished."""


def go(storage: Storage, shop_id: int, checked_id: int, by: str, queue: Queue) -> int:
    """Queue the import of a file whose dry run is done. Returns the new run's id."""
    with storage.session() as session:
        dry = _run(session, shop_id, checked_id)
        if not dry.dry_run or dry.status != "done":
            raise NotChecked("this file hasn't been checked yet: wait for its dry run to finish")
        run = ImportRun(shop_id=shop_id, file_name=dry.file_name, stored=dry.stored, size=dry.size, source=dry.source,
                        mode=dry.mode, tier_until=dry.tier_until, dry_run=False, status="queued", bytes_done=0,
                        by=by[:120])  # fmt: skip
        session.add(run)
        session.flush()
        audit.record(session, shop_id, by, None, "import", dry.file_name, None,
                     {"source": dry.source, "mode": dry.mode, "rows": (dry.report or {}).get("rows")})  # fmt: skip
        run_id = run.id
    enqueue_import(queue, run_id)
    return run_id


def carry_out(storage: Storage, data_dir: Path, run_id: int, queue: Queue | None) -> str:
    """Run an import (or its dry run), recording how far it is and its report. Returns its status. A run
    already finished is left as it is; one interrupted is run again (which imports nothing twice)."""
    with storage.session() as session:
        run = session.get(ImportRun, run_id, with_for_update=True)
        if run is None or run.status in ("done", "failed"):
            return run.status if run else "gone"
        run.status = "running"
        shop_id, path = run.shop_id, folder(data_dir, run.shop_id) / run.stored
        source, mode, until, dry_run = run.source, run.mode, run.tier_until, run.dry_run
    told = [0]

    def progress(at: int) -> None:
        if at - told[0] >= PROGRESS_EVERY_BYTES:
            told[0] = at
            with storage.session() as session:
                session.execute(update(ImportRun).where(ImportRun.id == run_id).values(bytes_done=at))

    try:
        refused_to = _refused_path(path, dry_run)
        report = importer.import_file(storage, shop_id, path, source, mode=mode, dry_run=dry_run, tier_until=until,
                                      progress=progress, refused_to=refused_to, queue=queue)  # fmt: skip
    except (Invalid, NotFound, FileNotFoundError) as exc:
        error = "the uploaded file is gone: upload it again" if isinstance(exc, FileNotFoundError) else str(exc)
        _finish(storage, run_id, "failed", None, error)
        return "failed"
    said = asdict(report) | {"tiers": dict(report.tiers), "reasons": dict(report.reasons)}
    _finish(storage, run_id, "done", said, None)
    return "done"


def _refused_path(path: Path, dry_run: bool) -> Path:
    return path.with_name(f"{path.stem}{'.checked' if dry_run else ''}.failed.csv")


def _finish(storage: Storage, run_id: int, status: str, report: dict[str, Any] | None, error: str | None) -> None:
    with storage.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=status, report=report, error=error, finished_at=utcnow())
        )


def _run(session: Any, shop_id: int, run_id: int) -> ImportRun:
    run = session.get(ImportRun, run_id)
    if run is None or run.shop_id != shop_id:
        raise NotFound(f"no import {run_id} for this shop")
    return run


def view(storage: Storage, data_dir: Path, shop_id: int, run_id: int) -> dict[str, Any]:
    """A run as the admin shows it: its file, options, status, how far it is, its report, and the first
    refused rows (row, reason) with the failed rows file's place."""
    with storage.session(read_only=True) as session:
        run = _run(session, shop_id, run_id)
        shown = _as_dict(run)
    refused_file = _refused_path(folder(data_dir, shop_id) / run.stored, run.dry_run)
    shown["refused_rows"] = []
    if run.status == "done" and refused_file.exists():
        with refused_file.open(encoding="utf-8", newline="") as rows:
            reader = csv.reader(rows)
            next(reader, None)
            for row in reader:
                if len(shown["refused_rows"]) >= REFUSED_SHOWN:
                    break
                shown["refused_rows"].append({"row": row[0], "problem": formats.PROBLEMS.get(row[1], "other")})
    return shown


def refused_file(storage: Storage, data_dir: Path, shop_id: int, run_id: int) -> Path | None:
    """The CSV of a run's refused rows, if it refused any."""
    with storage.session(read_only=True) as session:
        run = _run(session, shop_id, run_id)
    path = _refused_path(folder(data_dir, shop_id) / run.stored, run.dry_run)
    return path if path.exists() else None


def recent(storage: Storage, shop_id: int) -> list[dict[str, Any]]:
    """The shop's latest runs, newest first."""
    with storage.session(read_only=True) as session:
        query = select(ImportRun).where(ImportRun.shop_id == shop_id).order_by(ImportRun.id.desc()).limit(RECENT)
        return [_as_dict(run) for run in session.scalars(query)]


def _as_dict(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "file_name": run.file_name,
        "source": run.source,
        "source_name": formats.NAMES.get(run.source, run.source),
        "mode": run.mode,
        "tier_until": run.tier_until.isoformat() if run.tier_until else None,
        "dry_run": run.dry_run,
        "status": run.status,
        "percent": 100 if run.status == "done" else min(99, run.bytes_done * 100 // max(run.size, 1)),
        "report": run.report,
        "error": run.error,
        "by": run.by,
        "created_at": run.created_at,
    }
