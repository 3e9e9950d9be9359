"""`make bench-scale`: a large store, measured in one run. QUICK=1: 100,000 customers; else 1,000,000.

Seeds (bulk inserts, as bench/admin.py does) N customers with three orders each (guests, cancellations,
refunds, redemptions among them) and their ledger entries. Under the Procfile's gunicorn, it sends webhooks
at a steady ~200/s with wrk, first with nothing else running, then while the nightly jobs run one after
another, each in a process of its own (RFM roll-up, tier recompute, expiry scan, birthday scan, the roll-up
again; each timed, with its peak RSS): what a store's webhooks see while a job holds the database. Then it
measures the pages and API (metrics, shop page, customer list, exact and partial search) against /healthz
in the same run, streams the CSV of every customer with the web worker's peak RSS, measures the worker's
and scheduler's RSS, exports the whole ledger and backfills 100,000 orders from a sandbox store through the
CLI (time, peak RSS), imports one member per customer from another app's export through the CLI
(bench/imports.py: time, peak RSS), and times a customer's data export and redaction and the whole shop's
erasure. Writes bench/results/scale-<database>[-quick].json. Uses DATABASE_URL / REDIS_URL when set.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.admin as admin  # noqa: E402
import bench.imports as imports  # noqa: E402
from bench.run import (  # noqa: E402
    BIN,
    QUICK,
    RESULTS,
    SECONDS,
    THREADS,
    Stack,
    children,
    gunicorn,
    order,
    parse_wrk,
    peak_rss_mb,
    sign,
    wrk_get,
)

CUSTOMERS = 100_000 if QUICK else 1_000_000
BACKFILL = 100_000


def timed(action: object) -> float:
    started = time.monotonic()
    action()  # type: ignore[operator]
    return round(time.monotonic() - started, 2)


def privacy(stack: Stack) -> dict[str, float]:
    """A customer's data export and redaction, then the whole shop erased (last: it deletes everything)."""
    from connector.db.tables import Shop
    from connector.model import Lifecycle
    from connector.settle import lifecycle

    def asked(kind: str, member: int) -> Lifecycle:
        return Lifecycle(kind, customer_id=str(member), email=f"member{member}@example.com")

    def export() -> None:
        with stack.storage.session() as session:
            lifecycle.export_customer(
                session, session.get(Shop, stack.shop.id), asked("customer_data_request", CUSTOMERS // 2)
            )

    found: list[lifecycle.NamedBodies] = []  # as the inbox does: the bodies searched first, with no lock

    def redact() -> None:
        with stack.storage.session() as session:  # the transaction, holding the lock
            lifecycle.redact_customer(session, session.get(Shop, stack.shop.id), redacted, found[0])

    redacted = asked("customer_redact", CUSTOMERS // 3)

    def erase() -> None:
        lifecycle.erase_shop(stack.storage, stack.shop.id)

    return {
        "data export (one customer)": timed(export),
        "customer redaction: search of stored bodies (no lock)": timed(
            lambda: found.append(lifecycle.find_named_bodies(stack.storage, stack.shop.id, redacted))
        ),
        "customer redaction: its transaction": timed(redact),
        "shop erase (everything it holds)": timed(erase),
    }


def steady_ingest(url: str, one: Path) -> subprocess.Popen[str]:
    """Webhooks at about 200 a second (20 connections, one request every ~100 ms each) until stopped."""
    command = ["wrk", "-t", str(THREADS), "-c", "20", "-d", "3600s", "--latency", "--timeout", "10s", "-s"]
    command += [str(ROOT / "bench" / "webhook.lua"), url, "--", "same", str(one), str(THREADS), "96"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def stopped(wrk: subprocess.Popen[str]) -> dict:
    """wrk's figures once stopped (it prints them on SIGINT), with the slowest answer."""
    time.sleep(1)  # at least a second of requests
    wrk.send_signal(signal.SIGINT)
    out, _ = wrk.communicate(timeout=60)
    found = parse_wrk(out)
    found["max_ms"] = parse_wrk_max(out)
    return {name: found[name] for name in ("requests", "non_2xx", "p50_ms", "p99_ms", "max_ms")}


def parse_wrk_max(out: str) -> float:
    """The slowest answer wrk saw ("Latency avg stdev max")."""
    value = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 1)


def job_process(stack: Stack, job: str) -> tuple[float, float]:
    """Run a scheduled job (``module:function``) in a process of its own: seconds, peak RSS MB (its own
    figures, so the interpreter's start is not counted in its time; VmHWM, as ru_maxrss would carry the
    benchmark's own peak across the exec)."""
    module, function = job.split(":")
    code = (f"import json, re, time; from {module} import {function} as job; started = time.monotonic(); "
            f"job(); print(json.dumps([time.monotonic() - started, int(re.search(r'VmHWM:\\s+(\\d+)', "
            f"open('/proc/self/status').read()).group(1)) / 1024]))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env=stack.env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{job} failed: {done.stderr[-2000:]}")
    seconds, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return round(seconds, 2), round(peak, 1)


def idle_rss(stack: Stack, command: str) -> float:
    """The RSS MB of ``sadakat <command>`` (the worker, the scheduler) after it has started and waited."""
    with subprocess.Popen([str(BIN / "sadakat"), command], env=stack.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as process:  # fmt: skip
        time.sleep(8)
        peak = peak_rss_mb([process.pid, *children(process.pid)])
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return peak


def ledger_export(stack: Stack, path: Path) -> dict[str, float]:
    """The whole shop's ledger written by ``sadakat export``: seconds, entries, peak RSS MB."""
    started, peak = time.monotonic(), 0.0
    command = [str(BIN / "sadakat"), "export", str(stack.shop.id), "--output", str(path)]
    with subprocess.Popen(command, env=stack.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as cli:
        while cli.poll() is None:
            peak = max(peak, peak_rss_mb([cli.pid]))
            time.sleep(0.2)
        said = (cli.stderr.read() if cli.stderr else b"").decode()
    if cli.returncode != 0:
        raise SystemExit(f"the ledger export failed: {said}")
    entries = int(said.split()[0])
    path.unlink()
    return {"entries": entries, "s": round(time.monotonic() - started, 1), "peak RSS MB": round(peak, 1)}


def backfill(stack: Stack, orders: int) -> dict[str, float]:
    """A sandbox store holding ``orders`` past orders (1,000 customers), backfilled by the CLI: its time and
    peak RSS."""
    from sqlalchemy import insert

    from adapters.sandbox.records import sandbox_calls
    from connector.ops.shops import register_shop

    shop = register_shop(stack.storage, stack.config, "sandbox", "backfill.sandbox", {}, "s", {"sync_customers": False})
    placed = (date.today() - timedelta(days=30)).isoformat() + "T10:00:00+00:00"
    with stack.storage.engine.begin() as conn:
        for start in range(0, orders, 10_000):
            conn.execute(insert(sandbox_calls), [
                {"shop_id": shop.id, "kind": "order", "key": f"past-{n}", "body": {
                    "id": f"past-{n}", "number": str(n), "currency": "TRY", "status": "paid", "subtotal": "40.00",
                    "total": "45.50", "refunds": [], "created_at": placed,
                    "customer": {"id": f"c-{n % 1000}", "email": f"c{n % 1000}@example.com", "first_name": "Ayşe"}}}
                for n in range(start, min(orders, start + 10_000))])  # fmt: skip
    started, peak = time.monotonic(), 0.0
    command = [str(BIN / "sadakat"), "backfill", str(shop.id), "--since", "2000-01-01"]
    with subprocess.Popen(command, env=stack.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as cli:
        while cli.poll() is None:
            peak = max(peak, peak_rss_mb([cli.pid]))
            time.sleep(0.2)
        summary = json.loads((cli.stdout.read() if cli.stdout else b"{}").decode().strip().splitlines()[-1])
    if cli.returncode != 0 or summary["events"] != orders or summary["failed"]:
        raise SystemExit(f"the backfill failed: {summary}")
    return {"orders": orders, "s": round(time.monotonic() - started, 1), "peak RSS MB": round(peak, 1)}


def main() -> None:
    admin.CUSTOMERS = CUSTOMERS
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-scale-"))
    stack = Stack(work)
    results: dict = {"database": stack.storage.dialect, "customers": CUSTOMERS, "orders": CUSTOMERS * 3}
    try:
        from sqlalchemy import update

        from connector.db.tables import CustomerRecord
        from connector.ops.shops import change_settings

        started = time.monotonic()
        customer_id = admin.seed(stack)
        results["seed_s"] = round(time.monotonic() - started, 1)
        print("seeded", results["seed_s"], "s", flush=True)
        today = date.today()
        with stack.storage.session() as session:  # a birthday today for one member in 365
            session.execute(
                update(CustomerRecord)
                .where(CustomerRecord.shop_id == stack.shop.id, CustomerRecord.id % 365 == 0)
                .values(birthday=today.replace(year=1990))
            )
        change_settings(stack.storage, stack.shop.id, {
            "expiry_months": 24, "gifts": [{"rule": "birthday", "kind": "points", "value": "100"}]})  # fmt: skip
        # Each job runs in a process of its own, as the worker's work horse runs it: its time and peak RSS.
        jobs = {"rfm roll-up": "jobs.roll_up:roll_up_segments"}
        if QUICK:  # every seeded tier is arbitrary: the first recompute moves two members in three
            jobs["first tier recompute (two in three members move)"] = "jobs.upkeep:recompute_tiers"
        else:  # a usual night: the tiers already follow spend
            with stack.storage.session() as session:
                session.execute(update(CustomerRecord).values(tier=None))
            change_settings(stack.storage, stack.shop.id, {"tiers": [{"name": "Gold", "min_spend": "1000000"}]})
        jobs["nightly tier recompute (nobody moves)"] = "jobs.upkeep:recompute_tiers"
        jobs["expiry scan"] = "jobs.upkeep:expire_points"
        jobs["birthday scan"] = "jobs.upkeep:daily_gifts"
        jobs["rfm roll-up again (writes only what changed)"] = "jobs.roll_up:roll_up_segments"
        one = work / "one.tsv"
        body = json.dumps(order(0), separators=(",", ":"))
        one.write_text(f"{sign(body.encode())}\t{body}\n")
        header = "Authorization: Bearer bench"
        base = f"/admin/shops/{stack.shop.id}"
        pages = {
            "healthz (baseline)": "/healthz",
            "metrics API": f"/admin/api/shops/{stack.shop.id}/metrics",
            "shop page": base,
            "customer list": f"{base}/customers",
            "customer search (exact e-mail)": f"{base}/customers?q=member{CUSTOMERS // 3}@example.com",
            "customer search (partial name)": f"{base}/customers?q=uye%20123",
            "customer page": f"{base}/customers/{customer_id}",
        }
        with gunicorn("wsgi:app", stack.env, work / "web-scale.log") as (port, web):
            url = f"http://127.0.0.1:{port}"
            stopped(steady_ingest(url + "/webhooks/shopify", one))  # the workers warm up
            ingest = steady_ingest(url + "/webhooks/shopify", one)
            time.sleep(SECONDS / 2)
            results["webhooks (no job running)"] = stopped(ingest)
            print("webhooks, no job running", results["webhooks (no job running)"], flush=True)
            results["jobs_s"], results["job process peak RSS MB"] = {}, {}
            for name, job in jobs.items():  # the same webhooks while each job runs
                ingest = steady_ingest(url + "/webhooks/shopify", one)
                results["jobs_s"][name], results["job process peak RSS MB"][name] = job_process(stack, job)
                results[f"webhooks during {name}"] = stopped(ingest)
                print(name, results["jobs_s"][name], "s; webhooks", results[f"webhooks during {name}"], flush=True)
            for name, path in pages.items():
                answer = requests.get(url + path, headers={"Authorization": "Bearer bench"}, timeout=120)
                if answer.status_code != 200:
                    raise SystemExit(f"{name} answered {answer.status_code}")
                wrk_get(url + path, 2, header)
                found = wrk_get(url + path, SECONDS / 2, header)
                results[name] = {"p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"]}
                print(name, results[name], flush=True)
            peak, done = [0.0], threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], peak_rss_mb(children(web.pid)))
                    time.sleep(0.1)

            threading.Thread(target=sample, daemon=True).start()
            started = time.monotonic()
            with requests.get(f"{url}{base}/customers.csv", headers={"Authorization": "Bearer bench"}, stream=True,
                              timeout=600) as answer:  # fmt: skip
                rows = sum(chunk.count(b"\n") for chunk in answer.iter_content(1 << 16))
            done.set()
            results["csv export"] = {"rows": rows - 1, "s": round(time.monotonic() - started, 1),
                                     "web worker peak RSS MB": round(peak[0], 1)}  # fmt: skip
            print("csv", results["csv export"], flush=True)
        results["idle process RSS MB"] = {name: idle_rss(stack, command) for name, command in (
            ("worker", "worker"), ("scheduler", "scheduler"))}  # fmt: skip
        results["ledger export (CLI)"] = ledger_export(stack, work / "ledger.csv")
        print("ledger export", results["ledger export (CLI)"], flush=True)
        results["backfill"] = backfill(stack, BACKFILL)
        print("backfill", results["backfill"], flush=True)
        results["import"] = imports.measure(stack, CUSTOMERS)
        print("import", results["import"], flush=True)
        results["privacy_s"] = privacy(stack)
        print("privacy", results["privacy_s"], flush=True)
        results["bench process peak RSS MB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
        save(results)  # what was measured, even when a later step failed
    print(json.dumps(results, indent=2))


def save(results: dict) -> None:
    """Write what was measured so far (a run that fails later keeps it)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"scale-{results['database']}{'-quick' if QUICK else ''}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


def table() -> str:
    """The results of the four runs (each database, QUICK and full) found in bench/results, as Markdown."""
    runs = [(f"{db}, {size}", RESULTS / f"scale-{db}{suffix}.json") for db in ("sqlite", "postgresql")
            for size, suffix in (("100k", "-quick"), ("1M", ""))]  # fmt: skip
    found = [(name, json.loads(path.read_text()) if path.exists() else {}) for name, path in runs]

    def cell(result: dict, *keys: str) -> str:
        for key in keys[:-1]:
            result = result.get(key, {})
        value = result.get(keys[-1])
        return "" if value is None else f"{value:,}" if isinstance(value, int | float) else str(value)

    def latency(result: dict, name: str, unit: str = "p99_ms") -> str:
        found = result.get(name) or {}
        return f"{found['p50_ms']:,} / {found[unit]:,} ms" if found else ""

    rows = [("seeding (s)", lambda r: cell(r, "seed_s"))]
    for job in ("rfm roll-up", "first tier recompute (two in three members move)",
                "nightly tier recompute (nobody moves)", "expiry scan", "birthday scan",
                "rfm roll-up again (writes only what changed)"):  # fmt: skip
        rows.append((f"{job} (s)", lambda r, job=job: cell(r, "jobs_s", job)))
    for job in ("rfm roll-up", "first tier recompute (two in three members move)",
                "nightly tier recompute (nobody moves)", "expiry scan", "birthday scan",
                "rfm roll-up again (writes only what changed)"):  # fmt: skip
        rows.append((f"{job}: its process's peak RSS MB", lambda r, job=job: cell(r, "job process peak RSS MB", job)))
    rows.append(("webhooks alone: p50 / p99, slowest", lambda r: _webhooks(r, "webhooks (no job running)")))
    for job in ("rfm roll-up", "first tier recompute (two in three members move)",
                "nightly tier recompute (nobody moves)", "expiry scan", "birthday scan",
                "rfm roll-up again (writes only what changed)"):  # fmt: skip
        rows.append((f"webhooks during the {job}", lambda r, job=job: _webhooks(r, f"webhooks during {job}")))
    for page in ("healthz (baseline)", "metrics API", "shop page", "customer list", "customer search (exact e-mail)",
                 "customer search (partial name)", "customer page"):  # fmt: skip
        rows.append((f"{page} p50 / p99", lambda r, page=page: latency(r, page)))
    rows += [
        ("CSV of every customer: s, web worker peak RSS MB",
         lambda r: f"{cell(r, 'csv export', 's')} s, {cell(r, 'csv export', 'web worker peak RSS MB')}"
         if r.get("csv export") else ""),
        ("backfill of 100,000 sandbox orders: s, peak RSS MB",
         lambda r: f"{cell(r, 'backfill', 's')} s, {cell(r, 'backfill', 'peak RSS MB')}" if r.get("backfill") else ""),
        ("import of one member per customer (CLI): s, peak RSS MB",
         lambda r: f"{cell(r, 'import', 's')} s, {cell(r, 'import', 'peak RSS MB')}" if r.get("import") else ""),
        ("data export of one customer (s)", lambda r: cell(r, "privacy_s", "data export (one customer)")),
        ("redaction of one customer: search with no lock, transaction (s)",
         lambda r: f"{cell(r, 'privacy_s', 'customer redaction: search of stored bodies (no lock)')}, "
                   f"{cell(r, 'privacy_s', 'customer redaction: its transaction')}" if r.get("privacy_s") else ""),
        ("ledger export, CLI: s, peak RSS MB",
         lambda r: f"{cell(r, 'ledger export (CLI)', 's')} s, {cell(r, 'ledger export (CLI)', 'peak RSS MB')}"
         if r.get("ledger export (CLI)") else ""),
        ("erasing the whole shop (s)", lambda r: cell(r, "privacy_s", "shop erase (everything it holds)")),
        ("worker / scheduler RSS MB (8 s after start)",
         lambda r: f"{cell(r, 'idle process RSS MB', 'worker')} / {cell(r, 'idle process RSS MB', 'scheduler')}"
         if r.get("idle process RSS MB") else ""),
        ("the benchmark process's peak RSS MB (seeding)", lambda r: cell(r, "bench process peak RSS MB")),
    ]  # fmt: skip
    lines = ["| measure | " + " | ".join(name for name, _ in found) + " |", "| --- |" + " --- |" * len(found)]
    lines += [f"| {label} | " + " | ".join(show(r) for _, r in found) + " |" for label, show in rows]
    return "\n".join(lines)


def _webhooks(result: dict, name: str) -> str:
    found = result.get(name) or {}
    return f"{found['p50_ms']:,} / {found['p99_ms']:,} ms, {found['max_ms']:,} ms" if found else ""


if __name__ == "__main__":
    print(table()) if sys.argv[1:] == ["--table"] else main()
