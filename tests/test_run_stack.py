"""``sadakat run`` (what ``make run`` starts) on a fresh data directory with the embedded defaults."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support import paid_shopify_order, sign

SADAKAT = str(Path(sys.executable).parent / "sadakat")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_of(data_dir: Path) -> list[int]:
    """Live processes started with this data directory in their environment."""
    marker = f"SADAKAT_DATA_DIR={data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (
                marker in (proc / "environ").read_bytes().split(b"\0")
                and b"State:\tZ" not in (proc / "status").read_bytes()
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def wait_for(check, timeout: float = 60.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("timed out")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_starts_everything_on_embedded_defaults_and_stops_cleanly(tmp_path: Path, stop_signal: int) -> None:
    data_dir = tmp_path / "var"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "SADAKAT_ADMIN_TOKEN")}
    env |= {"SADAKAT_DATA_DIR": str(data_dir), "PORT": str(port), "SHOPIFY_API_SECRET": "app-secret"}
    stack = subprocess.Popen([SADAKAT, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: requests.get(f"{base}/healthz", timeout=2))
        assert {k: health.json()["checks"][k] for k in ("database", "redis")} == {"database": "ok", "redis": "ok"}
        assert (data_dir / "sadakat.db").exists()

        added = subprocess.run(
            [
                SADAKAT,
                "shops",
                "add",
                "shopify",
                "fresh.myshopify.com",
                "--access-token",
                "T",
                "--setting",
                "sync_customers=false",
            ],  # this test's store has no HTTP API to call
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        shop = json.loads(added.stdout)
        body = json.dumps(paid_shopify_order()).encode()
        headers = {
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Shop-Domain": "fresh.myshopify.com",
            "X-Shopify-Hmac-Sha256": sign(body, "app-secret"),
            "X-Shopify-Webhook-Id": "run-1",
        }
        assert requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=10).status_code == 200

        token = (data_dir / "admin_token").read_text().strip()
        url = f"{base}/admin/api/shops/{shop['id']}/customers/115310627314723954"
        auth = {"Authorization": f"Bearer {token}"}
        view = wait_for(
            lambda: (r := requests.get(url, headers=auth, timeout=5)).ok and r.json()["points"] and r.json()
        )
        assert view["points"] == 404
        assert processes_of(data_dir), "the stack's processes should be visible while it runs"
    finally:
        stack.send_signal(stop_signal)
        output, _ = stack.communicate(timeout=60)
    assert stack.returncode == 0, output
    assert "Admin API: http://127.0.0.1:" in output
    assert "Sandbox store: shop 1. Try: .venv/bin/sadakat simulate --shop 1" in output
    assert "Sadakat stopped." in output
    assert processes_of(data_dir) == []
    assert (data_dir / "valkey" / "appendonlydir").exists(), "the embedded Valkey persists its data"
