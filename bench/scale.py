"""`make bench-scale`: a large store, measured in one run. QUICK=1: 100,000 customers; else 1,000,000.

Seeds (bulk inserts, as bench/admin.py does) N customers with three paid orders each and their ledger
entries, then times the jobs (RFM roll-up, nightly tier recompute, expiry scan, birthday scan) and, under
the Procfile's gunicorn with wrk, the pages and API (metrics, shop page, customer list, exact and partial
search) against /healthz in the same run, and the CSV export of every customer with the web worker's peak
RSS. Writes bench/results/scale-<database>[-quick].json. Uses DATABASE_URL / REDIS_URL when set.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.admin as admin  # noqa: E402
from bench.run import QUICK, RESULTS, SECONDS, Stack, children, gunicorn, peak_rss_mb, wrk_get  # noqa: E402

CUSTOMERS = 100_000 if QUICK else 1_000_000


def timed(action: object) -> float:
    started = time.monotonic()
    action()  # type: ignore[operator]
    return round(time.monotonic() - started, 2)


def privacy(stack: Stack) -> dict[str, float]:
    """A customer's data export and redaction, then the whole shop erased (last: it deletes everything)."""
    from connector.db.tables import Shop
    from connector.model import Lifecycle
    from connector.settle import lifecycle

    def request(kind: str, member: int) -> None:
        with stack.storage.session() as session:
            shop = session.get(Shop, stack.shop.id)
            asked = Lifecycle(kind, customer_id=str(member), email=f"member{member}@example.com")
            (lifecycle.export_customer if kind == "customer_data_request" else lifecycle.redact_customer)(
                session, shop, asked
            )

    def erase() -> None:
        lifecycle.erase_shop(stack.storage, stack.shop.id)

    return {
        "data export (one customer)": timed(lambda: request("customer_data_request", CUSTOMERS // 2)),
        "customer redaction": timed(lambda: request("customer_redact", CUSTOMERS // 3)),
        "shop erase (everything it holds)": timed(erase),
    }


def main() -> None:
    admin.CUSTOMERS = CUSTOMERS
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-scale-"))
    stack = Stack(work)
    results: dict = {"database": stack.storage.dialect, "customers": CUSTOMERS, "orders": CUSTOMERS * 3}
    try:
        from sqlalchemy import update

        from connector.db.tables import CustomerRecord
        from connector.ops import maintenance
        from connector.ops.customers import segments
        from connector.ops.shops import change_settings
        from connector.queue.connection import event_queue, redis_connection

        started = time.monotonic()
        customer_id = admin.seed(stack)
        results["seed_s"] = round(time.monotonic() - started, 1)
        print("seeded", results["seed_s"], "s", flush=True)
        queue = event_queue(redis_connection(stack.config))
        today = date.today()
        with stack.storage.session() as session:  # a birthday today for one member in 365
            session.execute(
                update(CustomerRecord)
                .where(CustomerRecord.shop_id == stack.shop.id, CustomerRecord.id % 365 == 0)
                .values(birthday=today.replace(year=1990))
            )
        change_settings(stack.storage, stack.shop.id, {
            "expiry_months": 24, "gifts": [{"rule": "birthday", "kind": "points", "value": "100"}]})  # fmt: skip
        jobs = {"rfm roll-up": lambda: segments.roll_up(stack.storage, stack.shop.id)}
        if QUICK:  # every seeded tier is arbitrary: the first recompute moves two members in three
            jobs["first tier recompute (two in three members move)"] = lambda: maintenance.recompute_tiers(
                stack.storage, queue
            )
        else:  # a usual night: the tiers already follow spend
            with stack.storage.session() as session:
                session.execute(update(CustomerRecord).values(tier=None))
            change_settings(stack.storage, stack.shop.id, {"tiers": [{"name": "Gold", "min_spend": "1000000"}]})
        jobs["nightly tier recompute (nobody moves)"] = lambda: maintenance.recompute_tiers(stack.storage, queue)
        results["jobs_s"] = {
            **{name: timed(job) for name, job in jobs.items()},
            "expiry scan": timed(lambda: maintenance.expire_points(stack.storage, queue, stack.config, today)),
            "birthday scan": timed(lambda: maintenance.daily_gifts(stack.storage, queue, today)),
        }
        print("jobs", results["jobs_s"], flush=True)
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
        results["privacy_s"] = privacy(stack)
        print("privacy", results["privacy_s"], flush=True)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"scale-{results['database']}{'-quick' if QUICK else ''}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
