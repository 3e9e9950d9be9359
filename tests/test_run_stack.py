"""``sadakat run`` (what ``make run`` starts) on a fresh data directory with the embedded defaults."""

from __future__ import annotations

import json
import os
import re
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
    stack = subprocess.Popen(
        [SADAKAT, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
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
        body = json.dumps(
            paid_shopify_order(order_status_url="https://fresh.myshopify.com/548380009/orders/1/authenticate")
        ).encode()
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
        second = subprocess.run([SADAKAT, "run"], env=env, capture_output=True, text=True, timeout=60)
        said = (second.stdout + second.stderr).strip()
        assert second.returncode == 1 and said.splitlines() == [
            f"Sadakat is already running at {base} (its data is in {data_dir}); stop it with Ctrl-C first"
        ]
    finally:
        os.killpg(stack.pid, stop_signal)  # to the whole process group, as a terminal's Ctrl-C or `kill -- -<pgid>`
        output, _ = stack.communicate(timeout=60)
    assert stack.returncode == 0, output
    assert "Traceback" not in output, "a clean stop leaves no traceback in the log"
    assert "Admin API: http://127.0.0.1:" in output
    assert "Sandbox store: shop 1. Try: .venv/bin/sadakat simulate --shop 1" in output
    assert "Sadakat stopped." in output
    one_format = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ web\[\d+\] INFO gunicorn\.%s: %s"
    assert re.search(one_format % ("error", "Booting worker"), output), "gunicorn's own lines in the one format"
    assert re.search(one_format % ("access", r'127\.0\.0\.1 "POST /webhooks/shopify" 200 \d+ \d+\.\d+s'), output)
    assert not re.search(r"^\[\d{4}-", output, re.MULTILINE), "no line in gunicorn's own time format"
    assert processes_of(data_dir) == []
    assert (data_dir / "valkey" / "appendonlydir").exists(), "the embedded Valkey persists its data"
    for path in [data_dir, data_dir / "valkey", *(p for p in data_dir.rglob("*") if p.is_dir())]:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is its owner's only"
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by its owner only"


def test_web_processes_share_no_gunicorn_control_socket() -> None:
    procfile = (Path(__file__).resolve().parents[1] / "Procfile").read_text()
    [web] = [line for line in procfile.splitlines() if line.startswith("web:")]
    assert "--no-control-socket" in web


def start_stack(tmp_path: Path) -> tuple[subprocess.Popen[str], dict[str, str], Path, str]:
    """``sadakat run`` on a fresh data directory and a port of its own, in a process group of its own
    (as a terminal runs `make run`)."""
    data_dir = tmp_path / "var"
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "SADAKAT_ADMIN_TOKEN", "ADMIN_PASSWORD", "SADAKAT_PUBLIC_URL")
    }
    env |= {"SADAKAT_DATA_DIR": str(data_dir), "PORT": str(port)}
    env.pop("SADAKAT_SECRET_KEY", None)
    stack = subprocess.Popen(
        [SADAKAT, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(f"{base}/healthz", timeout=2).json()["checks"]["workers"].startswith("1 "))
    return stack, env, data_dir, base


def children_running(supervisor: int, marker: bytes) -> set[int]:
    """The supervisor's own children whose command line holds ``marker`` (not RQ's or gunicorn's forks)."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if (
                proc.name.isdigit()
                and (proc / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(supervisor)
                and marker in (proc / "cmdline").read_bytes()
            ):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


def simulated(env: dict[str, str], orders: int = 8) -> dict:
    """Signed sandbox traffic through the running stack, as a second terminal sends it."""
    run = subprocess.run(
        [SADAKAT, "simulate", "--shop", "1", "--orders", str(orders), "--wait", "0", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_each_killed_child_is_back_within_10_s_while_webhooks_are_accepted_and_sigterm_to_the_group_is_clean(
    tmp_path: Path,
) -> None:
    stack, env, data_dir, base = start_stack(tmp_path)
    output = ""
    try:
        # Commands in another terminal, with no variable but the data directory, find this stack's port.
        other_terminal = {k: v for k, v in env.items() if k != "PORT"}
        report = subprocess.run(
            [SADAKAT, "simulate", "--shop", "1", "--orders", "12", "--seed", "3", "--json"],
            env=other_terminal,
            capture_output=True,
            text=True,
        )
        assert report.returncode == 0, report.stderr
        summary = json.loads(report.stdout)
        assert summary["settled"] and summary["points_earned"] > 0
        assert summary["codes"] > 0, "the demo programme's gift rules give codes"
        assert summary["tier_changes"] > 0, "the demo programme's tiers are reached"
        listed = subprocess.run([SADAKAT, "shops", "list"], env=other_terminal, capture_output=True, text=True)
        assert f"{base}/webhooks/sandbox/1" in listed.stdout

        doctor = subprocess.run([SADAKAT, "doctor", "--no-stores", "--json"], env=other_terminal, capture_output=True)
        found = {c["name"]: c["result"] for c in json.loads(doctor.stdout)}
        assert found["admin login"] == found["admin token"] == found["secret key"] == "ok"

        # Each child killed in turn comes back within 10 s; webhooks keep being accepted meanwhile (with the
        # web process killed, as soon as it is back).
        for name, marker in (
            ("worker", b"sadakat\0worker"),
            ("scheduler", b"sadakat\0scheduler"),
            ("embedded Valkey", b"valkey-server"),
            ("web", b"gunicorn"),
        ):
            (before,) = children_running(stack.pid, marker)
            os.kill(before, signal.SIGKILL)
            killed_at = time.monotonic()
            if name != "web":
                answers = simulated(other_terminal)["answers"]
                assert set(answers) <= {"200", "202"}, f"with the {name} killed, webhooks are still accepted: {answers}"
            wait_for(lambda m=marker, b=before: children_running(stack.pid, m) - {b}, timeout=10)
            assert time.monotonic() - killed_at < 10, f"the {name} is back within 10 s"
            if name == "web":
                wait_for(lambda: requests.get(f"{base}/healthz", timeout=2).ok, timeout=10)
                assert set(simulated(other_terminal)["answers"]) <= {"200", "202"}
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        output, _ = stack.communicate(timeout=60)
    assert stack.returncode == 0, output
    for name in ("the worker process", "the scheduler process", "the embedded Valkey", "the web process"):
        assert f"{name} stopped unexpectedly (killed by SIGKILL); starting it again in 1 s." in output, output
    assert "Sadakat stopped." in output
    assert processes_of(data_dir) == []
    assert not (data_dir / "address").exists()


def test_an_unreachable_server_is_named_with_how_to_point_elsewhere(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, SADAKAT_DATA_DIR=str(tmp_path / "var"), PORT=str(port))
    for name in ("SADAKAT_PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "SADAKAT_SECRET_KEY"):
        env.pop(name, None)  # a fresh data directory on the embedded defaults
    subprocess.run([SADAKAT, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [SADAKAT, "shops", "add", "sandbox", "demo", "--webhook-secret", "s"], env=env, check=True, capture_output=True
    )
    result = subprocess.run([SADAKAT, "simulate", "--shop", "1"], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert f"could not reach Sadakat at http://127.0.0.1:{port}" in result.stderr
    assert "--url, SADAKAT_PUBLIC_URL or PORT" in result.stderr
