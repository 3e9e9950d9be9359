"""Importing another app's export at scale (part of `make bench-scale`; alone: `python bench/imports.py`).

Writes a generic-format file of N members (email, points, birthday; one in ten with a tier, one in a hundred
a bad row), then runs `sadakat import` on it through the CLI as a merchant would, sampling the process's peak
RSS: the time, rows per second, the peak RSS (the target: under 150 MB however large the file), and what the
import reported. QUICK=1: 100,000 rows; else 1,000,000. Alone, writes bench/results/imports-<database>[-quick].json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import BIN, QUICK, RESULTS, Stack, peak_rss_mb  # noqa: E402

ROWS = 100_000 if QUICK else 1_000_000


def write_file(path: Path, rows: int) -> int:
    """The export: ``rows`` members; returns how many rows are bad (refused by design)."""
    bad = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("email,points,tier,birthday\n")
        for n in range(rows):
            if n % 100 == 99:
                out.write(f"not-an-email-{n},5,,\n")
                bad += 1
            else:
                tier = "Gold" if n % 10 == 0 else ""
                out.write(f"member{n}@example.com,{n % 5000},{tier},19{70 + n % 30}-0{1 + n % 9}-1{n % 10}\n")
    return bad


def measure(stack: Stack, rows: int) -> dict[str, float]:
    """Import ``rows`` members into a fresh shop with the CLI: time, rows/s, peak RSS and the report."""
    from connector.ops.shops import change_settings, register_shop

    shop = register_shop(stack.storage, stack.config, "sandbox", "import.sandbox", {}, "s", {"sync_customers": False})
    change_settings(stack.storage, shop.id, {"tiers": [{"name": "Gold", "min_spend": "1000"}]})
    path = stack.work / "members.csv"
    bad = write_file(path, rows)
    command = [str(BIN / "sadakat"), "import", str(shop.id), str(path), "--from", "generic", "--json"]
    started, peak = time.monotonic(), 0.0
    with subprocess.Popen(command, env=stack.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as cli:
        while cli.poll() is None:
            peak = max(peak, peak_rss_mb([cli.pid]))
            time.sleep(0.2)
        report = json.loads(cli.stdout.read() if cli.stdout else b"{}")
    took = time.monotonic() - started
    if report.get("accepted") != rows - bad or report.get("refused") != bad:
        raise SystemExit(f"the import went wrong: {report}")
    return {"rows": rows, "s": round(took, 1), "rows per s": round(rows / took), "peak RSS MB": round(peak, 1),
            "accepted": report["accepted"], "refused": report["refused"], "points": report["points"]}  # fmt: skip


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="sadakat-bench-import-"))
    stack = Stack(work)
    try:
        results = {"database": stack.storage.dialect, "import": measure(stack, ROWS)}
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"imports-{results['database']}{'-quick' if QUICK else ''}.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
