"""``sadakat doctor``: check the configuration, the database, Redis, the processes and every shop's
credentials and webhooks, and say what to fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import requests
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from adapters import get_adapter
from adapters.base import StoreError
from connector.config import Config
from connector.db.crypto import SecretKeyError, secret_key
from connector.db.storage import Storage, alembic_config, storage_for
from connector.db.tables import Shop, utcnow
from connector.ops import status
from connector.outbox import mail, store_credit, tokens
from connector.queue.connection import redis_connection

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, and what to do about it."""

    name: str
    result: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        """For ``--json``."""
        return asdict(self)


def run_checks(config: Config, check_stores: bool = True) -> list[Check]:
    """Every check, in the order a newcomer would fix them."""
    checks = list(_configuration(config))
    storage = storage_for(config)
    database_ok = _database(storage, config, checks)
    redis_ok = _redis(config, checks)
    if database_ok and check_stores:
        checks += _shops(storage, config)
    if not (database_ok and redis_ok):
        checks.append(Check("stores", WARN, "not checked: the database or Redis is unreachable"))
    return checks


def _configuration(config: Config) -> list[Check]:
    found = []
    try:
        secret_key()
        found.append(Check("secret key", OK, "stored secrets can be encrypted and read"))
    except SecretKeyError as exc:
        found.append(Check("secret key", FAIL, str(exc), "set SADAKAT_SECRET_KEY (the same on every host)"))
    if config.admin_password:
        found.append(Check("admin login", OK, "the admin pages open with the admin password"))
    else:
        found.append(
            Check("admin login", WARN, "the admin pages can't be opened", "set ADMIN_PASSWORD (or start “make run”)")
        )
    if config.admin_token:
        found.append(Check("admin token", OK, "the admin API and /metrics take the admin token"))
    else:
        found.append(
            Check(
                "admin token",
                WARN,
                "the admin API and /metrics take no bearer token",
                "set SADAKAT_ADMIN_TOKEN (or start “make run”)",
            )
        )
    if config.public_url.startswith(("http://127.", "http://localhost")):
        found.append(
            Check(
                "public URL",
                WARN,
                f"{config.public_url} is only reachable from this machine: stores can't deliver webhooks to it",
                "set SADAKAT_PUBLIC_URL to the https address stores can reach",
            )
        )
    else:
        found.append(Check("public URL", OK, config.public_url))
    if not config.smtp_url:
        found.append(
            Check(
                "e-mail",
                WARN,
                "no SMTP server: customer e-mails (codes, sign-in links, expiry warnings, surveys) go to the local "
                f"mailbox in {mail.mailbox(config)}, which the admin pages show under Mail",
                "set SADAKAT_SMTP_URL to send them to customers",
            )
        )
    else:
        found.append(Check("e-mail", OK, f"customer e-mails go out through {config.smtp_url.split('@')[-1]}"))
    found.append(_server(config))
    return found


def _server(config: Config) -> Check:
    """Whether the web server answers where Sadakat expects it (the address ``make run`` recorded, else the
    public URL)."""
    url = config.public_url
    try:
        answered = requests.get(f"{url}/healthz", timeout=3).status_code < 500
    except requests.RequestException:
        answered = False
    if answered:
        return Check("web server", OK, f"answers at {url}")
    return Check(
        "web server",
        WARN,
        f"nothing answers at {url}",
        "start it with “make run” (or the web process), or set SADAKAT_PUBLIC_URL to where it runs",
    )


def _database(storage: Storage, config: Config, checks: list[Check]) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    where = config.database_url.split("://", 1)[0]
    try:
        with storage.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        checks.append(
            Check(
                "database",
                FAIL,
                f"{where}: unreachable ({type(exc).__name__})",
                "check DATABASE_URL and that the server runs",
            )
        )
        return False
    head = ScriptDirectory.from_config(alembic_config(config)).get_current_head()
    if current != head:
        checks.append(
            Check(
                "database",
                FAIL,
                f"{where}: schema at {current or 'nothing'}, code expects {head}",
                "run “sadakat migrate”",
            )
        )
        return False
    checks.append(Check("database", OK, f"{where}: reachable, schema up to date ({head})"))
    return True


def _redis(config: Config, checks: list[Check]) -> bool:
    try:
        redis = redis_connection(config, fail_fast=True)
        redis.ping()
        queue = status.queue_status(redis)
    except RedisError as exc:
        fix = "start it with “sadakat run”" if config.embedded_redis else "check REDIS_URL and that the server runs"
        checks.append(Check("redis", FAIL, f"unreachable ({type(exc).__name__})", fix))
        return False
    checks.append(Check("redis", OK, f"reachable; {queue.queued} job(s) queued, {queue.failed_jobs} failed"))
    now = utcnow()
    for role, processes, command in (
        ("workers", queue.workers, "worker"),
        ("scheduler", queue.schedulers, "scheduler"),
    ):
        alive = queue.alive(processes, now)
        if alive:
            checks.append(Check(role, OK, f"{len(alive)} seen in the last minute"))
        else:
            checks.append(
                Check(role, FAIL, "none seen in the last minute", f"start “sadakat {command}” (or “sadakat run”)")
            )
    return True


def _shops(storage: Storage, config: Config) -> list[Check]:
    with storage.session() as session:
        shops = [
            (s.id, s.platform, s.domain, s.uninstalled_at is None)
            for s in session.scalars(select(Shop).order_by(Shop.id))
        ]
        to_approve = {
            s.id: missing
            for s in session.scalars(select(Shop).where(Shop.uninstalled_at.is_(None)))
            if (missing := store_credit.missing_scopes(s))
        }
    if not shops:
        return [Check("shops", WARN, "no shops registered", "install the app on a store, or “sadakat shops add”")]
    found = []
    for shop_id, platform, domain, installed in shops:
        name = f"shop {shop_id} ({domain})"
        if not installed:
            found.append(Check(name, OK, "uninstalled: nothing to check"))
            continue
        adapter = get_adapter(platform)
        url = config.public_url + adapter.webhook_path(shop_id)
        try:
            access = tokens.fresh_access(storage, shop_id, adapter, config)
            missing = adapter.missing_webhooks(access, url)
        except StoreError as exc:
            found.append(
                Check(
                    name,
                    FAIL,
                    f"the store refused our credentials or could not be reached: {exc}",
                    "reinstall the app on the store",
                )
            )
            continue
        except SecretKeyError as exc:
            found.append(Check(name, FAIL, str(exc), "set SADAKAT_SECRET_KEY_PREVIOUS to the old key"))
            continue
        if missing:
            found.append(
                Check(
                    name,
                    FAIL,
                    f"credentials work; no webhook at {url} for {', '.join(missing)}",
                    "the hourly store check re-registers them; or reinstall the app",
                )
            )
        else:
            found.append(Check(name, OK, f"credentials work; webhooks are registered for {url}"))
        if shop_id in to_approve:
            found.append(
                Check(
                    f"{name} store credit",
                    WARN,
                    f"the shop has not approved {', '.join(to_approve[shop_id])}: redeeming gives discount codes "
                    "instead of store credit, and no cashback is given",
                    f"open {config.public_url}/shopify/install?shop={domain} to approve the new permissions",
                )
            )
    return found
