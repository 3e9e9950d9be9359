"""`make bench-rewards`: the customer's side under gunicorn, measured in one run.

A member with 10,000 ledger entries (5,000 orders, 5,000 adjustments), 50 codes and tiers to compute
progress over: the hosted rewards page (signed in) p50/p99 against the JSON balance lookup of the same
member in the same run, the app proxy page, and the launcher's size gzipped (script with its styles).
Writes bench/results/rewards-<database>[-quick].json and prints it. Uses DATABASE_URL / REDIS_URL when set.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import QUICK, RESULTS, SECONDS, SECRET, Stack, gunicorn, wrk_get  # noqa: E402

ENTRIES = 10_000
TARGET_P99_MS = 50
LAUNCHER_LIMIT = 15 * 1024


def seed(stack: Stack) -> tuple[int, str]:
    """The member and their rows; returns (customer id, the member's platform id)."""
    from sqlalchemy import insert

    from connector.db.tables import CustomerRecord, IssuedCode, LedgerEntry, OrderRecord, utcnow
    from connector.ops.shops import change_settings

    change_settings(
        stack.storage,
        stack.shop.id,
        {"tiers": [{"name": "Silver", "min_spend": "100"}, {"name": "Gold", "min_spend": "1000000"}]},
    )
    now = utcnow()
    with stack.storage.session() as session:
        member = CustomerRecord(
            shop_id=stack.shop.id, key="42", platform_id="42", email="m@example.com", first_name="Ayşe", points=0
        )
        session.add(member)
        session.flush()
        customer_id = member.id
    half = ENTRIES // 2
    with stack.storage.engine.begin() as conn:
        conn.execute(
            insert(OrderRecord),
            [
                {
                    "shop_id": stack.shop.id,
                    "order_id": str(n),
                    "name": f"#{1000 + n}",
                    "customer_id": customer_id,
                    "merchandise_amount": Decimal("20.00"),
                    "total": Decimal("20.00"),
                    "paid": True,
                    "cancelled": False,
                    "fully_refunded": False,
                    "test": False,
                    "points_earned": 20,
                    "placed_at": now - timedelta(minutes=n),
                    "updated_at": now,
                }
                for n in range(half)
            ],
        )
        conn.execute(
            insert(LedgerEntry),
            [
                {
                    "shop_id": stack.shop.id,
                    "customer_id": customer_id,
                    "key": f"bench:{n}",
                    "kind": "order" if n < half else "adjustment",
                    "points": 20 if n < half else 1,
                    "source_type": "order" if n < half else "adjustment",
                    "source_id": str(n % half),
                    "rule": "bench",
                    "created_at": now - timedelta(minutes=ENTRIES - n),
                }
                for n in range(ENTRIES)
            ],
        )
        conn.execute(
            insert(IssuedCode),
            [
                {
                    "shop_id": stack.shop.id,
                    "code": f"BENCH-{n}",
                    "customer_id": customer_id,
                    "reason": f"gift:{n}",
                    "kind": "fixed_amount",
                    "value": Decimal(5),
                    "ends_at": now + timedelta(days=30),
                    "created_at": now,
                }
                for n in range(50)
            ],
        )
    with stack.storage.session() as session:
        member = session.get(CustomerRecord, customer_id)
        assert member is not None
        member.points = half * 20 + half
    return customer_id, "42"


def proxy_query(customer: str) -> str:
    from bench.run import DOMAIN

    params = {"shop": DOMAIN, "logged_in_customer_id": customer, "path_prefix": "/apps/sadakat",
              "timestamp": str(int(time.time()) + 300)}  # fmt: skip
    message = "".join(f"{k}={v}" for k, v in sorted(params.items()))
    return urlencode(params | {"signature": hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()})


def main() -> None:
    os.environ.setdefault("SHOPIFY_API_SECRET", SECRET)  # what Shopify signs app proxy requests with
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-rewards-"))
    stack = Stack(work)
    results: dict = {"database": stack.storage.dialect, "entries": ENTRIES, "quick": QUICK}
    try:
        from connector.ops.rewards import sign_in
        from connector.queue.connection import redis_connection

        customer_id, platform_id = seed(stack)
        sid = sign_in.open_session(redis_connection(stack.config), stack.shop.id, customer_id)
        seconds = SECONDS / 2
        with gunicorn("wsgi:app", stack.env, work / "web-rewards.log") as (port, _):
            base = f"http://127.0.0.1:{port}"
            page = requests.get(f"{base}/rewards/{stack.shop.handle}", cookies={"sadakat_rewards": sid}, timeout=30)
            if page.status_code != 200 or "Ayşe" not in page.text:
                raise SystemExit(f"the rewards page did not show the member: {page.status_code}")
            measured = {
                "balance_lookup": (f"{base}/api/shops/{stack.shop.id}/customers/42/balance",
                                   "Authorization: Bearer bench-customer-key"),
                "rewards_page": (f"{base}/rewards/{stack.shop.handle}", f"Cookie: sadakat_rewards={sid}"),
                "proxy_page": (f"{base}/proxy?{proxy_query(platform_id)}", "Accept: */*"),
            }  # fmt: skip
            for name, (url, header) in measured.items():
                wrk_get(url, 2, header)
                found = wrk_get(url, seconds, header)
                if found["non_2xx"]:
                    raise SystemExit(f"{name} failed: {found}")
                results[name] = {"p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"], "rps": found["rps"]}
            script = requests.get(f"{base}/rewards/{stack.shop.handle}/launcher.js", timeout=30)
            results["launcher_gzipped_bytes"] = len(gzip.compress(script.content))
            results["launcher_sets_cookie"] = "Set-Cookie" in script.headers
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    lookup = results["balance_lookup"]["p99_ms"]
    results["rewards_page_p99_ratio_to_lookup"] = round(results["rewards_page"]["p99_ms"] / lookup, 2)
    results["met"] = {
        "rewards page p99 < 50 ms": results["rewards_page"]["p99_ms"] < TARGET_P99_MS,
        "launcher <= 15 KB gzipped, no cookie": results["launcher_gzipped_bytes"] <= LAUNCHER_LIMIT
        and not results["launcher_sets_cookie"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"rewards-{results['database']}{'-quick' if QUICK else ''}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
