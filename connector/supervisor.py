"""``sadakat run``: the whole stack in one terminal, on the embedded defaults or the configured servers."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click

from connector.config import Config
from connector.crypto import secret_key
from connector.embedded import start_valkey
from connector.storage import migrate

STOP_TIMEOUT_SECONDS = 15
# Paths without query strings: an OAuth callback's code and hmac stay out of the logs.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


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
    config.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value


def ensure_sandbox_shop(config: Config) -> int:
    """The id of the local sandbox store ``demo``, registered on first run."""
    from sqlalchemy import select

    from connector.shops import register_shop
    from connector.storage import storage_for
    from connector.tables import Shop

    storage = storage_for(config)
    with storage.session() as session:
        existing = session.scalars(
            select(Shop.id).where(Shop.platform == "sandbox", Shop.domain == "demo.sandbox")
        ).first()
    if existing is not None:
        return existing
    return register_shop(storage, config, "sandbox", "demo", {}, secrets.token_urlsafe(32)).id


def run_stack(config: Config, host: str, web_workers: int) -> int:
    """Migrate, start Valkey (if embedded), web, worker and scheduler; stop them all on Ctrl-C / SIGTERM."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(config)
    valkey = None
    if config.embedded_redis:
        valkey = start_valkey(config.embedded_redis_socket, config.data_dir / "valkey")
        click.echo(f"Embedded Valkey on {config.redis_url} (data in {config.data_dir / 'valkey'})")
    sandbox_id = ensure_sandbox_shop(config)
    env = dict(
        os.environ,
        SADAKAT_SECRET_KEY=secret_key(),
        REDIS_URL=config.redis_url,
        DATABASE_URL=config.database_url,
        SADAKAT_DATA_DIR=str(config.data_dir),
        SADAKAT_ADMIN_TOKEN=admin_token(config),
        ADMIN_PASSWORD=admin_password(config),
    )
    bin_dir = Path(sys.executable).parent
    commands = {
        "web": [
            str(bin_dir / "gunicorn"),
            "connector:create_app()",
            "--bind",
            f"{host}:{config.port}",
            "--workers",
            str(web_workers),
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
        ],
        "worker": [str(bin_dir / "sadakat"), "worker"],
        "scheduler": [str(bin_dir / "sadakat"), "scheduler"],
    }
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    children: dict[str, subprocess.Popen[bytes]] = {}
    exit_code = 0
    try:
        for name, command in commands.items():
            # Own sessions: a terminal Ctrl-C reaches only us, and we stop the children in order.
            children[name] = subprocess.Popen(command, env=env, start_new_session=True)
        password_from = "ADMIN_PASSWORD" if config.admin_password else config.data_dir / "admin_password"
        click.echo(f"Sadakat is running. Admin: {config.public_url}/admin (password in {password_from})")
        click.echo(
            f"Admin API: {config.public_url}/admin/api/shops "
            f"(Authorization: Bearer <token in {config.data_dir / 'admin_token'} or SADAKAT_ADMIN_TOKEN>)"
        )
        click.echo(f"Health: {config.public_url}/healthz   Stop with Ctrl-C.")
        click.echo(f"Sandbox store: shop {sandbox_id}. Try: .venv/bin/sadakat simulate --shop {sandbox_id} --orders 20")
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"{name} exited with status {child.returncode}; stopping the rest.", err=True)
                    stopping, exit_code = True, 1
                    break
            time.sleep(0.2)
    finally:
        _stop(children)
        if valkey is not None:
            valkey.stop()
        click.echo("Sadakat stopped.")
    return exit_code


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
