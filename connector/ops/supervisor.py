"""``sadakat run``: the whole stack in one terminal, on the embedded defaults or the configured servers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

import click

from connector import logs
from connector.config import Config
from connector.db.crypto import secret_key
from connector.db.storage import migrate
from connector.queue.embedded import start_valkey

STOP_TIMEOUT_SECONDS = 15


# Paths without query strings: an OAuth callback's code and hmac stay out of the logs.
def admin_token(config: Config) -> str:
    """SADAKAT_ADMIN_TOKEN, or one generated once and kept (mode 600) in the data directory."""
    return config.admin_token or _kept_secret(config, "admin_token")


def admin_password(config: Config) -> str:
    """ADMIN_PASSWORD, or one generated once and kept (mode 600) in the data directory."""
    return config.admin_password or _kept_secret(config, "admin_password")


def _kept_secret(config: Config, name: str) -> str:
    path = config.data_dir / name
    if path.exists():
        return path.read_text().strip()
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value


DEMO_PROGRAMME: dict[str, Any] = {
    "earn_rate": "1",
    "expiry_months": 12,
    "expiry_warning_days": 14,
    "redemption": {"points_per_unit": 100, "minimum_points": 500, "step_points": 100},
    "tiers": [
        {"name": "Bronze", "min_spend": "0"},
        {"name": "Silver", "min_spend": "750", "multiplier": "1.25"},
        {
            "name": "Gold",
            "min_spend": "2000",
            "multiplier": "1.5",
            "free_shipping_monthly": True,
            "cashback_percent": "2",
        },
    ],
    "gifts": [
        {"rule": "first_order", "kind": "percentage", "value": "10", "days": 30},
        {"rule": "every_nth_order", "every": 3, "kind": "fixed_amount", "value": "50", "days": 60},
        {"rule": "delivery_problem", "kind": "free_shipping", "days": 30},
    ],
}
"""The sandbox store's programme: tiers, gifts and redemption a newcomer can watch at work."""


def ensure_sandbox_shop(config: Config) -> int:
    """The id of the local sandbox store ``demo``, registered on first run."""
    from sqlalchemy import select

    from adapters import demo_store, get_adapter
    from connector.db.storage import storage_for
    from connector.db.tables import Shop
    from connector.ops.shops import register_shop

    platform, address = demo_store()
    domain = get_adapter(platform).address(address).domain
    storage = storage_for(config)
    with storage.session() as session:
        existing = session.scalars(select(Shop.id).where(Shop.platform == platform, Shop.domain == domain)).first()
    if existing is not None:
        return existing
    return register_shop(storage, config, platform, address, {}, secrets.token_urlsafe(32), DEMO_PROGRAMME).id


def run_stack(config: Config, host: str, web_workers: int) -> int:
    """Migrate, start Valkey (if embedded), web, worker and scheduler; restart any that dies; stop them all,
    Valkey last, on Ctrl-C / SIGTERM."""
    os.umask(0o077)  # every file the stack creates (database, Valkey's data, secrets, logs) is its owner's only
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = _hold_the_data_dir(config)  # noqa: F841  (held, and so locked, until this process ends)
    migrate(config)
    valkey = None
    if config.embedded_redis:
        valkey = start_valkey(config.embedded_redis_socket, config.data_dir / "valkey")
        click.echo(f"Embedded Valkey on {config.redis_url} (data in {config.data_dir / 'valkey'})")
    sandbox_id = ensure_sandbox_shop(config)
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{config.port}"
    public_url = os.environ.get("SADAKAT_PUBLIC_URL", "").rstrip("/") or address
    env = _environment(config, public_url)
    commands = _commands(host, config.port, web_workers)
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    children: dict[str, Child] = {}
    try:
        for name, command in commands.items():
            children[name] = Child(name, command, env)
        _record_address(config, address)
        _say_where(config, public_url, sandbox_id)
        valkey_restart = Backoff("the embedded Valkey")
        while not stopping:
            if valkey is not None and valkey.exited() is not None and valkey_restart.due(valkey.exited()):
                valkey = start_valkey(config.embedded_redis_socket, config.data_dir / "valkey")
                valkey_restart.started()
            for child in children.values():
                child.keep_running()
            time.sleep(0.2)
    finally:
        _stop(list(children.values()))
        if valkey is not None:
            valkey.stop()
        config.address_file.unlink(missing_ok=True)
        click.echo("Sadakat stopped.")
    return 0


def _environment(config: Config, public_url: str) -> dict[str, str]:
    """What the stack's processes are started with: the secrets, stores and address they share."""
    return dict(
        os.environ,
        SADAKAT_SECRET_KEY=secret_key(),
        REDIS_URL=config.redis_url,
        DATABASE_URL=config.database_url,
        SADAKAT_DATA_DIR=str(config.data_dir),
        SADAKAT_ADMIN_TOKEN=admin_token(config),
        ADMIN_PASSWORD=admin_password(config),
        SADAKAT_PUBLIC_URL=public_url,
    )


def _commands(host: str, port: int, web_workers: int) -> dict[str, list[str]]:
    """The stack's processes by name, as started: gunicorn serving the app, the worker, the scheduler."""
    bin_dir = Path(sys.executable).parent
    return {
        "web": [
            str(bin_dir / "gunicorn"),
            "connector:create_app()",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--access-logformat",
            logs.ACCESS_LOG_FORMAT,
            "--logger-class",
            "connector.logs.GunicornLogger",
        ],
        "worker": [str(bin_dir / "sadakat"), "worker"],
        "scheduler": [str(bin_dir / "sadakat"), "scheduler"],
    }


def _say_where(config: Config, public_url: str, sandbox_id: int) -> None:
    """Tell the person who started the stack where the admin, the API and the sandbox store are."""
    password_from = "ADMIN_PASSWORD" if os.environ.get("ADMIN_PASSWORD") else config.data_dir / "admin_password"
    click.echo(f"Sadakat is running. Admin: {public_url}/admin (password in {password_from})")
    click.echo(
        f"Admin API: {public_url}/admin/api/shops "
        f"(Authorization: Bearer <token in {config.data_dir / 'admin_token'} or SADAKAT_ADMIN_TOKEN>)"
    )
    click.echo(f"Health: {public_url}/healthz   Stop with Ctrl-C.")
    click.echo(f"Sandbox store: shop {sandbox_id}. Try: .venv/bin/sadakat simulate --shop {sandbox_id} --orders 20")


RESTART_DELAYS = (1, 2, 5, 10, 30)
"""Seconds before each further restart of a process that keeps dying; reset once it has run a minute."""
STEADY_SECONDS = 60


class Backoff:
    """When to start again a process that stopped by itself."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failures = 0
        self.started_at = time.monotonic()
        self.restart_at: float | None = None

    def due(self, status: int | None) -> bool:
        """Called while the process is down: True once it is time to start it again (logging the plan once)."""
        now = time.monotonic()
        if self.restart_at is None:
            if now - self.started_at >= STEADY_SECONDS:
                self.failures = 0
            delay = RESTART_DELAYS[min(self.failures, len(RESTART_DELAYS) - 1)]
            self.failures += 1
            self.restart_at = now + delay
            click.echo(
                f"{self.name} stopped unexpectedly ({_describe(status)}); starting it again in {delay} s.", err=True
            )
        return now >= self.restart_at

    def started(self) -> None:
        """The process is running again."""
        self.started_at, self.restart_at = time.monotonic(), None
        click.echo(f"{self.name} started again.", err=True)


class Child:
    """One process of the stack, in its own session: a terminal's Ctrl-C reaches only the supervisor,
    which stops the children in order."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.command, self.env = name, command, env
        self.backoff = Backoff(f"the {name} process")
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command, env=self.env, start_new_session=True)

    def keep_running(self) -> None:
        """Start the process again, after its backoff, if it has died."""
        status = self.process.poll()
        if status is not None and self.backoff.due(status):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # what it left behind (RQ's scheduler, its work horse)
            self.process = self._start()
            self.backoff.started()


def _describe(status: int | None) -> str:
    if status is not None and status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"


class AlreadyRunning(RuntimeError):
    """Another ``sadakat run`` uses this data directory; the message says where it answers."""


def _hold_the_data_dir(config: Config) -> IO[str]:
    """Lock the data directory for this stack's life: a second stack on it would fight over Valkey's socket,
    the database and the recorded address. AlreadyRunning names where the first one answers."""
    handle = (config.data_dir / "run.lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        where = config.address_file.read_text().strip() if config.address_file.exists() else "this machine"
        raise AlreadyRunning(
            f"Sadakat is already running at {where} (its data is in {config.data_dir}); stop it with Ctrl-C first"
        ) from None
    return handle


def _record_address(config: Config, address: str) -> None:
    config.address_file.touch(mode=0o600)
    config.address_file.write_text(address + "\n")


def _stop(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
