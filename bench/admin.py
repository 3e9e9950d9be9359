"""`make bench-admin`: the merchant's pages for a shop of 100,000 customers, under gunicorn, in one run.

Seeds (bulk inserts) N customers with three paid orders each spread over two years, their ledger entries
and a few codes, runs the RFM roll-up (timed), then measures with wrk the shop page, the customer list
(first page; a partial-name search), a customer's page and, as the baseline in the same run, /healthz; and,
before the roll-up, how long the shop's first page and first metrics call take (the roll-up is queued).
Writes bench/results/admin-<database>[-quick].json. QUICK=1: 20,000 customers. Uses DATABASE_URL /
REDIS_URL when set.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import QUICK, RESULTS, SECONDS, Stack, gunicorn, peak_rss_mb, wrk_get  # noqa: E402

CUSTOMERS = 20_000 if QUICK else 100_000
ORDERS_EACH = 3
TARGET_P99_MS = 300
CHUNK = 10_000
FIRST_NAMES = ("Ayşe", "Mehmet", "Zeynep", "Mary", "John", "Şükrü", "Elif", "Can")


def seed(stack: Stack) -> int:
    """Customers (one in ten a guest), orders (one in 150 cancelled, one in 60 half refunded), ledger
    entries (one member in 25 redeemed points for a code) and codes, in bulk; returns one customer's id."""
    from sqlalchemy import insert, select

    from connector.db.tables import CustomerRecord, IssuedCode, LedgerEntry, OrderRecord, RefundRecord, utcnow
    from connector.ops.shops import change_settings

    change_settings(
        stack.storage,
        stack.shop.id,
        {"tiers": [{"name": "Silver", "min_spend": "100"}, {"name": "Gold", "min_spend": "1000", "multiplier": "2"}]},
    )
    now = utcnow()
    shop_id = stack.shop.id
    with stack.storage.engine.begin() as conn:
        for start in range(0, CUSTOMERS, CHUNK):
            ids = range(start, min(CUSTOMERS, start + CHUNK))
            conn.execute(
                insert(CustomerRecord),
                [
                    {"shop_id": shop_id, "key": str(n), "platform_id": None if n % 10 == 9 else str(n),
                     "email": f"member{n}@example.com", "first_name": FIRST_NAMES[n % len(FIRST_NAMES)],
                     "last_name": f"Üye {n}", "points": n % 5000, "tier": ("Silver", "Gold", None)[n % 3],
                     "created_at": now}
                    for n in ids
                ],
            )  # fmt: skip
        found = conn.execute(select(CustomerRecord.key, CustomerRecord.id).where(CustomerRecord.shop_id == shop_id))
        rows = {key: customer_id for key, customer_id in found}
        for start in range(0, CUSTOMERS, CHUNK // ORDERS_EACH):
            ids = range(start, min(CUSTOMERS, start + CHUNK // ORDERS_EACH))
            orders, entries, refunds = [], [], []
            for n in ids:
                member = rows[str(n)]
                for k in range(ORDERS_EACH):
                    placed = now - timedelta(days=(n * 7 + k * 97) % 730)
                    order_id = f"{n}-{k}"
                    codes = [f"BENCH-{n}"] if k == 2 and n % 10 == 0 else None
                    cancelled = k == 0 and n % 50 == 1  # one order in 150 cancelled, one in 60 half refunded
                    orders.append(
                        {"shop_id": shop_id, "order_id": order_id, "name": f"#{n}{k}", "customer_id": member,
                         "merchandise_amount": Decimal("40.00"), "total": Decimal("45.50"), "paid": True,
                         "cancelled": cancelled, "fully_refunded": False, "test": False, "points_earned": 40,
                         "placed_at": placed, "updated_at": placed, "discount_codes": codes}
                    )  # fmt: skip
                    entries.append(_entry(shop_id, member, f"order:{order_id}", "order", 40, order_id, placed))
                    if cancelled:
                        entries.append(_entry(shop_id, member, f"order:{order_id}:reversed-to:40", "cancellation",
                                              -40, order_id, placed))  # fmt: skip
                    elif k == 1 and n % 20 == 0:
                        refunds.append({"shop_id": shop_id, "refund_id": f"r-{order_id}", "order_id": order_id,
                                        "merchandise_amount": Decimal("20.00")})  # fmt: skip
                        entries.append(_entry(shop_id, member, f"order:{order_id}:reversed-to:20", "refund", -20,
                                              order_id, placed))  # fmt: skip
                if n % 25 == 0:  # one member in 25 redeemed 100 points for a code
                    entries.append(_entry(shop_id, member, f"redeem:{n}", "redemption", -100, f"redeem:{n}", now))
            conn.execute(insert(OrderRecord), orders)
            conn.execute(insert(LedgerEntry), entries)
            if refunds:
                conn.execute(insert(RefundRecord), refunds)
        conn.execute(
            insert(IssuedCode),
            [{"shop_id": shop_id, "code": f"BENCH-{n}", "customer_id": rows[str(n)], "reason": f"gift:{n}",
              "kind": "fixed_amount", "value": Decimal(5), "created_at": now} for n in range(0, CUSTOMERS, 10)]
            + [{"shop_id": shop_id, "code": f"REDEEM-{n}", "customer_id": rows[str(n)], "reason": f"redeem:{n}",
                "kind": "fixed_amount", "value": Decimal(1), "points_paid": 100, "created_at": now}
               for n in range(0, CUSTOMERS, 25)],
        )  # fmt: skip
    # A store that has been running has had its statistics gathered and its tables vacuumed (autovacuum).
    with stack.storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if stack.storage.dialect == "postgresql" else "ANALYZE")
    if stack.storage.dialect == "sqlite":  # and its write-ahead log copied into the database since
        raw = stack.storage.engine.raw_connection()  # outside any transaction, which a checkpoint can't be in
        try:
            print("checkpoint:", raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
        finally:
            raw.close()
    return int(rows[str(CUSTOMERS // 2)])


def _entry(shop_id: int, member: int, key: str, kind: str, points: int, source: str, when: Any) -> dict[str, Any]:
    """A ledger entry's row, as the settling engine writes it."""
    return {"shop_id": shop_id, "customer_id": member, "key": key, "kind": kind, "points": points,
            "source_type": "redemption" if kind == "redemption" else "order", "source_id": source,
            "rule": "points_per_currency_unit", "rate": Decimal(1), "created_at": when}  # fmt: skip


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-admin-"))
    stack = Stack(work)
    results: dict = {"database": stack.storage.dialect, "customers": CUSTOMERS, "orders": CUSTOMERS * ORDERS_EACH}
    try:
        from connector.ops.customers import segments

        started = time.monotonic()
        customer_id = seed(stack)
        results["seed_s"] = round(time.monotonic() - started, 1)
        header = "Authorization: Bearer bench"
        base = f"/admin/shops/{stack.shop.id}"
        first_looks = {"first shop page": base, "first metrics call": f"/admin/api/shops/{stack.shop.id}/metrics"}
        with gunicorn("wsgi:app", stack.env, work / "web-first.log") as (port, _):
            for name, path in first_looks.items():  # never rolled up: queued for a worker, not counted inline
                started = time.monotonic()
                answer = requests.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "Bearer bench"},
                                      timeout=300)  # fmt: skip
                results[name] = {"seconds": round(time.monotonic() - started, 3), "status": answer.status_code}
        started = time.monotonic()
        counts = segments.roll_up(stack.storage, stack.shop.id)
        results["rollup_s"] = round(time.monotonic() - started, 2)
        results["segments"] = counts
        pages = {
            "healthz (baseline)": "/healthz",
            "shop page": base,
            "customer list": f"{base}/customers",
            "customer search (partial name)": f"{base}/customers?q=uye%20123",
            "customer page": f"{base}/customers/{customer_id}",
        }
        with gunicorn("wsgi:app", stack.env, work / "web-admin.log") as (port, web):
            url = f"http://127.0.0.1:{port}"
            for name, path in pages.items():
                answer = requests.get(url + path, headers={"Authorization": "Bearer bench"}, timeout=60)
                if answer.status_code != 200:
                    raise SystemExit(f"{name} answered {answer.status_code}")
                wrk_get(url + path, 2, header)
                found = wrk_get(url + path, SECONDS / 2, header)
                if found["non_2xx"]:
                    raise SystemExit(f"{name} failed: {found}")
                results[name] = {"p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"], "rps": found["rps"]}
            results["web_rss_mb"] = peak_rss_mb([web.pid])
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    baseline = results["healthz (baseline)"]["p99_ms"]
    for name in pages:
        results[name]["p99_ratio_to_baseline"] = round(results[name]["p99_ms"] / baseline, 1)
    results["met"] = {
        f"{name} p99 < {TARGET_P99_MS} ms": results[name]["p99_ms"] < TARGET_P99_MS
        for name in ("shop page", "customer list", "customer page")
    } | {
        f"{name} < 1 s (before any roll-up)": results[name]["seconds"] < 1
        for name in ("first shop page", "first metrics call")
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"admin-{results['database']}{'-quick' if QUICK else ''}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
