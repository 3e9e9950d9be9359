"""`make bench`: the real stack on this machine, loaded by wrk, measured in one run.

Starts gunicorn (the Procfile's settings), RQ workers, Redis (REDIS_URL, else the embedded Valkey) and the
database (DATABASE_URL, else SQLite in a temporary directory), and measures: the bare-Flask ceiling, the
floor (the receiver's work with no framework), ingest (signed ~10 KB Shopify orders, workers stopped),
p99 at a fixed 500 requests/s, end to end (N orders to exact balances, with 1 and with 2 workers),
balance lookups at growing ledger sizes, and peak RSS.
Writes bench/results/latest.json and latest.md. QUICK=1 for the short version.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIXTURE = ROOT / "tests" / "fixtures" / "shopify" / "orders_create.json"
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-webhook-secret"
DOMAIN = "bench.myshopify.com"
QUICK = os.environ.get("QUICK") == "1"
SECONDS = 8 if QUICK else 20
E2E_EVENTS = 5_000 if QUICK else 50_000
LEDGER_SIZES = [10_000, 100_000] if QUICK else [10_000, 100_000, 1_000_000]
CONNECTIONS = 32
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'  # the Procfile's: each request's duration too
THREADS = 2


def sign(body: bytes) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listened on port {port} within {timeout} s")


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The Procfile's web command (2 sync workers, access log on) for ``app``."""
    port = free_port()
    command = [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket"]
    command += ["--access-logfile", str(log), "--access-logformat", ACCESS_LOG_FORMAT]
    command += ["--logger-class", "connector.logs.GunicornLogger"]
    command += ["--error-logfile", str(log.with_suffix(".err"))]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        wait_for_port(port)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrk(url: str, mode: str, path: Path, seconds: float, connections: int = CONNECTIONS, delay_ms: int = 0) -> dict:
    """Run wrk with bench/webhook.lua; its figures as a dict."""
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{int(seconds)}s", "--latency"]
    command += ["--timeout", "10s"]
    command += ["-s", str(ROOT / "bench" / "webhook.lua"), url, "--", mode, str(path), str(THREADS), str(delay_ms)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def wrk_list(url: str, path: Path, connections: int = 16) -> subprocess.Popen[str]:
    """wrk sending each order of ``path`` once; it has to be stopped (its threads stop, the process waits)."""
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", "3600s", "--timeout", "10s"]
    command += ["-s", str(ROOT / "bench" / "webhook.lua"), url, "--", "list", str(path), str(THREADS), "0"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, text=True)


def wrk_get(url: str, seconds: float, header: str, connections: int = 2) -> dict:
    """A GET at one request per web worker at a time: the latency of a lookup, not of a queue."""
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{int(seconds)}s", "--latency"]
    command += ["-H", header, url]
    return parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def parse_wrk(out: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    found = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        "errors": (m.group(0) if (m := re.search(r"Socket errors:.*", out)) else ""),
    }
    for pct in ("50", "99"):
        found[f"p{pct}_ms"] = round(ms(re.search(rf"\s{pct}%\s+(\S+)", out).group(1)), 2)  # type: ignore[union-attr]
    return found


def order(n: int) -> dict[str, Any]:
    """Shopify's sample order, paid, as order n of customer n % 1000."""
    sample = json.loads(FIXTURE.read_text())
    body = copy.deepcopy(sample)
    body.update(financial_status="paid", cancelled_at=None, cancel_reason=None, id=10**12 + n)
    body["customer"] = dict(sample["customer"], id=5 * 10**11 + n % 1000, email=f"member{n % 1000}@example.com")
    return body


def request_file(path: Path, count: int) -> None:
    with path.open("w") as out:
        for n in range(count):
            body = json.dumps(order(n), separators=(",", ":"))
            out.write(f"{sign(body.encode())}\t{body}\n")


def peak_rss_mb(pids: list[int]) -> float:
    """The largest peak resident set (VmHWM) among ``pids``."""
    peak = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if m := re.search(r"VmHWM:\s+(\d+) kB", status):
            peak = max(peak, int(m.group(1)))
    return round(peak / 1024, 1)


def cpu_seconds(pids: list[int], reaped: bool = False) -> float:
    """CPU time (user + system) used by ``pids``, plus that of their children already reaped if ``reaped``."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(f) for f in fields[11 : 15 if reaped else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, over all cores (from /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class Stack:
    """The configured services, a fresh schema and one Shopify shop."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.valkey = None
        env = dict(os.environ)
        if not env.get("REDIS_URL"):
            from connector.queue.embedded import start_valkey

            self.valkey = start_valkey(work / "valkey.sock", work / "valkey", persist=False)
            env["REDIS_URL"] = f"unix://{work / 'valkey.sock'}"
        env.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.db'}")
        env.update(SADAKAT_DATA_DIR=str(work), SADAKAT_SECRET_KEY="bench-secret-key", SADAKAT_ADMIN_TOKEN="bench")
        os.environ.update(env)
        self.env = env
        from connector.config import Config
        from connector.db.storage import migrate, storage_for
        from connector.ops.shops import register_shop

        self.config = Config.from_env()
        self._reset()
        migrate(self.config)
        self.storage = storage_for(self.config)
        self.shop = register_shop(
            self.storage, self.config, "shopify", DOMAIN, {"access_token": "x"}, SECRET, {"sync_customers": False}
        )
        with self.storage.session() as session:
            from connector.db.tables import Shop

            shop = session.get(Shop, self.shop.id)
            shop.customer_api_key = "bench-customer-key"

    def _reset(self) -> None:
        from sqlalchemy import create_engine, inspect, text

        engine = create_engine(self.config.database_url)
        if engine.dialect.name == "postgresql":
            if not re.search("bench|test", engine.url.database or ""):
                raise SystemExit("refusing to wipe a database whose name contains neither 'bench' nor 'test'")
            with engine.begin() as conn:
                names = inspect(conn).get_table_names()
                if names:
                    conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        engine.dispose()

    def clear_inbox(self) -> None:
        from sqlalchemy import delete

        from connector.db.tables import CustomerRecord, LedgerEntry, OrderRecord, WebhookEvent
        from connector.queue.connection import redis_connection

        with self.storage.session() as session:
            for table in (LedgerEntry, OrderRecord, CustomerRecord, WebhookEvent):
                session.execute(delete(table))
        redis_connection(self.config).flushdb()

    def count(self, table: Any) -> int:
        from sqlalchemy import func, select

        with self.storage.session(read_only=True) as session:  # on SQLite: no write lock taken from the receivers
            return int(session.scalar(select(func.count()).select_from(table)) or 0)

    def stop(self) -> None:
        if self.valkey is not None:
            self.valkey.stop()


def ceiling_and_ingest(stack: Stack, results: dict) -> None:
    one = stack.work / "one.tsv"
    body = json.dumps(order(0), separators=(",", ":"))
    one.write_text(f"{sign(body.encode())}\t{body}\n")
    results["body_bytes"] = len(body)
    with gunicorn("bench.bare_app:app", stack.env, stack.work / "bare.log") as (port, bare):
        wrk(f"http://127.0.0.1:{port}/webhooks/shopify", "same", one, 2)  # warm up
        bare_cpu = cpu_seconds(children(bare.pid))
        ceiling = wrk(f"http://127.0.0.1:{port}/webhooks/shopify", "same", one, SECONDS)
        bare_cpu = cpu_seconds(children(bare.pid)) - bare_cpu
    # The floor: the same work as the receiver's for a valid order, with no framework (bench/raw_receiver.py).
    with gunicorn("bench.raw_receiver:app", stack.env, stack.work / "raw.log") as (port, raw):
        wrk(f"http://127.0.0.1:{port}/webhooks/shopify", "same", one, 2)
        raw_cpu = cpu_seconds(children(raw.pid))
        floor = wrk(f"http://127.0.0.1:{port}/webhooks/shopify", "same", one, SECONDS)
        raw_cpu = cpu_seconds(children(raw.pid)) - raw_cpu
    from connector.db.tables import WebhookEvent

    with gunicorn("wsgi:app", stack.env, stack.work / "web.log") as (port, web):
        url = f"http://127.0.0.1:{port}/webhooks/shopify"
        wrk(url, "same", one, 2)
        before = stack.count(WebhookEvent)
        web_cpu = cpu_seconds(children(web.pid))
        ingest = wrk(url, "same", one, SECONDS)
        web_cpu = cpu_seconds(children(web.pid)) - web_cpu
        stored = stack.count(WebhookEvent) - before
        # 50 connections, each waiting ~100 ms minus a typical answer between requests: about 500/s in all
        steady = wrk(url, "same", one, SECONDS, connections=50, delay_ms=96)
        results["web_rss_mb"] = peak_rss_mb(children(web.pid))
    answered = ingest["requests"] - ingest["non_2xx"]
    results.update(
        ceiling_rps=round(ceiling["rps"]),
        ceiling_p99_ms=ceiling["p99_ms"],
        ingest_rps=round(ingest["rps"]),
        ingest_ratio=round(ingest["rps"] / ceiling["rps"], 3),
        ingest_p50_ms=ingest["p50_ms"],
        ingest_p99_ms=ingest["p99_ms"],
        ingest_non_2xx=ingest["non_2xx"],
        floor_rps=round(floor["rps"]),
        floor_ratio=round(floor["rps"] / ceiling["rps"], 3),
        floor_web_cpu_ms=round(raw_cpu * 1000 / floor["requests"], 3),
        floor_non_2xx=floor["non_2xx"],
        ingest_2xx_all_stored=stored >= answered,
        # CPU of the web workers themselves per request: what the ratio comes down to on a saturated machine
        ceiling_web_cpu_ms=round(bare_cpu * 1000 / ceiling["requests"], 3),
        ingest_web_cpu_ms=round(web_cpu * 1000 / ingest["requests"], 3),
        steady_rps=round(steady["rps"]),
        steady_p50_ms=steady["p50_ms"],
        steady_p99_ms=steady["p99_ms"],
    )


def end_to_end(stack: Stack, events: int, workers: int, results: dict, key: str) -> None:
    """Post ``events`` distinct orders with ``workers`` worker processes running; time to exact balances."""
    from sqlalchemy import select

    from connector.db.tables import CustomerRecord, LedgerEntry, WebhookEvent

    stack.clear_inbox()
    orders = stack.work / f"orders-{events}.tsv"
    if not orders.exists():
        request_file(orders, events)
    with gunicorn("wsgi:app", stack.env, stack.work / "web-e2e.log") as (port, web):
        procs = [
            subprocess.Popen([str(BIN / "sadakat"), "worker"], env=stack.env, stderr=subprocess.DEVNULL)
            for _ in range(workers)
        ]
        wait_for_workers(stack, workers)  # the clock starts at the first post, not while workers boot
        peak = [0.0]

        def sample() -> None:
            while all(p.poll() is None for p in procs):
                pids = [p.pid for p in procs] + [c for p in procs for c in children(p.pid)]
                peak[0] = max(peak[0], peak_rss_mb(pids))
                time.sleep(0.2)

        def workers_cpu() -> float:
            # A worker's work horses (one per job) are its reaped children; its scheduler is a live one.
            own = cpu_seconds([p.pid for p in procs], reaped=True)
            return own + cpu_seconds([c for p in procs for c in children(p.pid)])

        threading.Thread(target=sample, daemon=True).start()
        web_before, workers_before, busy_before = cpu_seconds(children(web.pid)), workers_cpu(), machine_busy_seconds()
        started = time.monotonic()
        load = wrk_list(f"http://127.0.0.1:{port}/webhooks/shopify", orders)
        deadline = started + 3600
        stored_at = None
        # When the inbox first held 10 % and 90 % of the orders: the rate in between is the sustained one,
        # free of the start and of the tail (wrk sends its last few requests late at times). It is an end to
        # end rate only while the ledger keeps up, so the largest backlog seen (stored, not yet settled) too.
        stored = settled = backlog = 0
        crossed: dict[float, float] = {}
        while settled < events:
            stored, settled = stack.count(WebhookEvent), stack.count(LedgerEntry)
            backlog = max(backlog, stored - settled)
            for share in (0.1, 0.9):
                if share not in crossed and stored >= share * events:
                    crossed[share] = time.monotonic()
            if stored_at is None and stored >= events:
                stored_at = time.monotonic()
                load.terminate()
            if time.monotonic() > deadline:
                raise SystemExit(f"end to end: only {settled} of {events} entries within an hour")
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        stored_at = stored_at or time.monotonic()
        busy = machine_busy_seconds() - busy_before
        web_cpu = cpu_seconds(children(web.pid)) - web_before
        worker_cpu = workers_cpu() - workers_before
        load.terminate()
        load.wait(timeout=30)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=120)
    per_customer: dict[int, int] = {}
    for n in range(events):
        per_customer[n % 1000] = per_customer.get(n % 1000, 0) + 404
    with stack.storage.session() as session:
        balances = {r.platform_id: r.points for r in session.scalars(select(CustomerRecord))}
    wanted = {str(5 * 10**11 + c): points for c, points in per_customer.items()}
    results[key] = round(events / elapsed, 1)
    results[f"{key}_sustained"] = round(0.8 * events / max(crossed[0.9] - crossed[0.1], 1e-3), 1)
    results[f"{key}_max_backlog"] = backlog
    # When the last order was stored (ingest) and when the last was settled: which of the two set the pace.
    results[f"{key}_stored_s"] = round(stored_at - started, 2)
    results[f"{key}_settled_s"] = round(elapsed, 2)
    # Where the CPU went, per event: the web workers, the job workers (drains and their horses), and the
    # whole machine (also the database, Redis, wrk and this harness). 2 cores give 2,000 ms each second.
    results[f"{key}_cpu_ms_per_event"] = {
        "web": round(web_cpu * 1000 / events, 2),
        "workers": round(worker_cpu * 1000 / events, 2),
        "machine": round(busy * 1000 / events, 2),
    }
    results[f"{key}_balances_exact"] = balances == wanted
    results["worker_rss_mb"] = max(results.get("worker_rss_mb", 0), peak[0])


def wait_for_workers(stack: Stack, count: int, timeout: float = 60) -> None:
    """Until ``count`` workers of Sadakat's queue have registered with Redis (as the status page sees them)."""
    from connector.ops.status import queue_status
    from connector.queue.connection import redis_connection

    redis = redis_connection(stack.config)
    deadline = time.monotonic() + timeout
    while len(queue_status(redis).workers) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"end to end: {count} workers did not start within {timeout} s")
        time.sleep(0.05)


def drain_in_process(stack: Stack, events: int, results: dict) -> None:
    """The drain alone, in this process, on stored orders: batches of 200 settled together by the engine,
    against the same engine given one event at a time (the baseline), in the same run."""
    from connector import inbox

    bodies = [json.dumps(order(n), separators=(",", ":")).encode() for n in range(events)]
    rates = {}
    for path in ("one_by_one", "together"):
        stack.clear_inbox()
        for n, body in enumerate(bodies):
            inbox.store(stack.storage, stack.shop.id, f"{path}-{n}", "orders/paid", body, "pending")
        started = time.perf_counter()
        while claimed := inbox.claim_fresh(stack.storage, 200):
            if path == "together":
                inbox.process_batch(stack.storage, claimed)
            else:
                for event_id in claimed:
                    inbox.process_batch(stack.storage, [event_id])
        rates[path] = events / (time.perf_counter() - started)
    results["drain_events_per_s"] = {path: round(rate, 1) for path, rate in rates.items()}
    results["drain_together_ratio"] = round(rates["together"] / rates["one_by_one"], 2)


def lookups(stack: Stack, results: dict) -> None:
    """Balance lookups over HTTP for one member while the ledger grows to each size."""
    from sqlalchemy import insert

    from connector.db.customers import find_customer
    from connector.db.tables import LedgerEntry
    from connector.model import Customer
    from connector.settle.members import customer_record

    stack.clear_inbox()
    with stack.storage.session() as session:
        members = [customer_record(session, stack.shop.id, Customer(id=str(n), email=None)) for n in range(1000)]
        ids = [m.id for m in members if m is not None]
    have = 0
    results["lookup_p50_ms"], results["lookup_p99_ms"] = {}, {}
    for size in LEDGER_SIZES:
        with stack.storage.engine.begin() as conn:
            for start in range(have, size, 20_000):
                conn.execute(
                    insert(LedgerEntry),
                    [
                        {
                            "shop_id": stack.shop.id,
                            "customer_id": ids[n % len(ids)],
                            "key": f"bench:{n}",
                            "kind": "adjustment",
                            "points": 1,
                            "source_type": "adjustment",
                            "source_id": str(n),
                            "rule": "bench",
                        }
                        for n in range(start, min(size, start + 20_000))
                    ],
                )
        have = size
        with stack.storage.session() as session:
            assert find_customer(session, stack.shop.id, "7") is not None
        with gunicorn("wsgi:app", stack.env, stack.work / "web-lookup.log") as (port, _):
            url = f"http://127.0.0.1:{port}/api/shops/{stack.shop.id}/customers/7/balance"
            header = "Authorization: Bearer bench-customer-key"
            wrk_get(url, 2, header)
            found = wrk_get(url, SECONDS / 2, header)
        if found["non_2xx"]:
            raise SystemExit(f"balance lookups failed: {found}")
        results["lookup_p50_ms"][str(size)] = found["p50_ms"]
        results["lookup_p99_ms"][str(size)] = found["p99_ms"]


def table(results: dict) -> str:
    rows = [
        ("bare Flask ceiling", f"{results['ceiling_rps']} req/s"),
        ("ingest (workers stopped)", f"{results['ingest_rps']} req/s = {results['ingest_ratio']} x ceiling"),
        (
            "the floor: the same work with no framework (bench/raw_receiver.py)",
            f"{results.get('floor_rps')} req/s = {results.get('floor_ratio')} x ceiling, "
            f"{results.get('floor_web_cpu_ms')} ms CPU per request",
        ),
        ("ingest latency p50 / p99", f"{results['ingest_p50_ms']} / {results['ingest_p99_ms']} ms"),
        (
            "web worker CPU per request: bare app / webhook",
            f"{results.get('ceiling_web_cpu_ms')} / {results.get('ingest_web_cpu_ms')} ms",
        ),
        ("at ~500 req/s: achieved, p99", f"{results['steady_rps']} req/s, p99 {results['steady_p99_ms']} ms"),
        *(
            (
                f"end to end, {label}: all orders / sustained (10-90 % stored; largest backlog)",
                f"{results[key]} / {results.get(key + '_sustained')} events/s ({results.get(key + '_max_backlog')})",
            )
            for label, key in (("1 worker", "e2e_1_worker_events_per_s"), ("2 workers", "e2e_events_per_s"))
        ),
    ]
    if drained := results.get("drain_events_per_s"):
        rows.append(
            (
                "drain alone, in process: per event / together (ratio)",
                f"{drained['one_by_one']} / {drained['together']} events/s ({results['drain_together_ratio']} x)",
            )
        )
    if cpu := results.get("e2e_events_per_s_cpu_ms_per_event"):
        rows.append(
            (
                "CPU per event end to end (2 workers): web / workers / whole machine",
                f"{cpu['web']} / {cpu['workers']} / {cpu['machine']} ms",
            )
        )
    rows += [
        (f"balance lookup at {int(size):,} entries p50 / p99", f"{results['lookup_p50_ms'][size]} / {p99} ms")
        for size, p99 in results["lookup_p99_ms"].items()
    ]
    rows += [("peak RSS web worker / job worker", f"{results['web_rss_mb']} / {results['worker_rss_mb']} MB")]
    head = f"{results['machine']}, {results['database']} + {results['redis']}, {'QUICK' if QUICK else 'full'} run"
    return f"{head}\n\n| measure | result |\n| --- | --- |\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it when it may)")
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-"))
    stack = Stack(work)
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "database": stack.storage.dialect,
        "redis": "Redis" if stack.valkey is None else "embedded Valkey",
        "quick": QUICK,
        "e2e_events": E2E_EVENTS,
    }
    started = time.monotonic()
    try:
        ceiling_and_ingest(stack, results)
        print("ingest:", {k: v for k, v in results.items() if k.startswith(("ceiling", "ingest", "steady"))})
        end_to_end(stack, E2E_EVENTS, 1, results, "e2e_1_worker_events_per_s")
        end_to_end(stack, E2E_EVENTS, 2, results, "e2e_events_per_s")
        print("end to end:", results["e2e_1_worker_events_per_s"], results["e2e_events_per_s"])
        drain_in_process(stack, 600 if QUICK else 5_000, results)
        print("drain in process:", results["drain_events_per_s"])
        lookups(stack, results)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(table(results))
    print(table(results))


if __name__ == "__main__":
    main()
