"""Every setting Sadakat reads from the environment, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MAX_WEBHOOK_BYTES = 1024 * 1024
ADDRESS_FILE = "address"
DEFAULT_SHOPIFY_SCOPES = (
    "read_orders,read_customers,write_customers,write_discounts,write_fulfillments,"
    "write_merchant_managed_fulfillment_orders,write_store_credit_account_transactions,"
    "read_store_credit_account_transactions"
)


class ConfigError(ValueError):
    """A setting in the environment has a value Sadakat can't use."""


@dataclass(frozen=True)
class Config:
    """Settings for one process. Build it with :meth:`from_env`."""

    data_dir: Path
    database_url: str
    redis_url: str
    embedded_redis: bool
    port: int
    public_url: str
    admin_token: str | None
    shopify_api_secret: str | None
    shopify_api_secret_previous: str | None
    smtp_url: str | None = None
    mail_from: str = "Sadakat <no-reply@localhost>"
    care_email: str | None = None
    """Where the hourly digest of new care items goes (none: no digest)."""
    shopify_api_key: str | None = None
    shopify_scopes: str = DEFAULT_SHOPIFY_SCOPES
    max_webhook_bytes: int = MAX_WEBHOOK_BYTES
    sweep_grace_seconds: int = 10
    admin_password: str | None = None
    allow_private_store_addresses: bool = False
    """Let store URLs name this machine or a private network (development only)."""

    @property
    def address_file(self) -> Path:
        """Where a running ``sadakat run`` records the address it serves on, for commands in other terminals."""
        return self.data_dir / ADDRESS_FILE

    @property
    def embedded_redis_socket(self) -> Path:
        """Where the embedded Valkey listens when REDIS_URL is not set."""
        return self.data_dir / "valkey.sock"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read the configuration from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("SADAKAT_DATA_DIR") or "var").resolve()
        port = _int(env, "PORT", 8000)
        redis_url = env.get("REDIS_URL") or ""
        embedded = not redis_url
        if embedded:
            redis_url = f"unix://{data_dir / 'valkey.sock'}"
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'sadakat.db'}"
        if database_url.startswith("postgres://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        public_url = (
            env.get("SADAKAT_PUBLIC_URL") or _kept(data_dir, ADDRESS_FILE) or f"http://127.0.0.1:{port}"
        ).rstrip("/")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            embedded_redis=embedded,
            port=port,
            public_url=public_url,
            admin_token=env.get("SADAKAT_ADMIN_TOKEN") or _kept(data_dir, "admin_token"),
            shopify_api_secret=env.get("SHOPIFY_API_SECRET") or None,
            shopify_api_secret_previous=env.get("SHOPIFY_API_SECRET_PREVIOUS") or None,
            shopify_api_key=env.get("SHOPIFY_API_KEY") or None,
            smtp_url=env.get("SADAKAT_SMTP_URL") or None,
            mail_from=env.get("SADAKAT_MAIL_FROM") or "Sadakat <no-reply@localhost>",
            care_email=env.get("SADAKAT_CARE_EMAIL") or None,
            shopify_scopes=env.get("SHOPIFY_SCOPES") or DEFAULT_SHOPIFY_SCOPES,
            sweep_grace_seconds=_int(env, "SADAKAT_SWEEP_GRACE_SECONDS", 10),
            admin_password=env.get("ADMIN_PASSWORD") or _kept(data_dir, "admin_password"),
            allow_private_store_addresses=_flag(env, "SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES"),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _kept(data_dir: Path, name: str) -> str | None:
    """A value ``sadakat run`` generated and kept in the data directory, if there is one."""
    try:
        return (data_dir / name).read_text().strip() or None
    except OSError:
        return None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {value}")
    return value
