"""The benchmark reads wrk's report right (the figures in bench/results come from it)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.run import cpu_seconds, machine_busy_seconds, parse_wrk

REPORT = """Running 8s test @ http://127.0.0.1:4000/webhooks/shopify
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.46ms    3.08ms  37.68ms   76.41%
    Req/Sec     1.29k   110.70     1.55k    71.25%
  Latency Distribution
     50%  812.00us
     75%   13.89ms
     90%   15.97ms
     99%    1.02s
  20551 requests in 8.01s, 2.35MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:   2565.76
Transfer/sec:    300.67KB
"""


def test_wrk_report_gives_rate_count_failures_and_percentiles_in_ms() -> None:
    found = parse_wrk(REPORT)
    assert found == {
        "rps": 2565.76,
        "requests": 20551,
        "non_2xx": 3,
        "errors": "Socket errors: connect 0, read 0, write 0, timeout 2",
        "p50_ms": 0.81,
        "p99_ms": 1020.0,
    }


def test_a_clean_run_has_no_failures() -> None:
    clean = REPORT.replace("  Non-2xx or 3xx responses: 3\n", "").replace(
        "  Socket errors: connect 0, read 0, write 0, timeout 2\n", ""
    )
    assert (parse_wrk(clean)["non_2xx"], parse_wrk(clean)["errors"]) == (0, "")


def test_cpu_accounting_counts_a_child_once_it_has_been_reaped() -> None:
    busy = machine_busy_seconds()
    reaped = cpu_seconds([os.getpid()], reaped=True) - cpu_seconds([os.getpid()])
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time; t = time.process_time()\\nwhile time.process_time() - t < 0.5: pass'])",
        ]
    )
    parent.wait()
    # The parent has exited, so read our own reaped children: the grandchild's 0.5 s reached us through it.
    assert cpu_seconds([os.getpid()], reaped=True) - cpu_seconds([os.getpid()]) - reaped >= 0.45
    assert machine_busy_seconds() - busy >= 0.45
