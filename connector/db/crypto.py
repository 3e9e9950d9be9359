"""Encryption at rest for store credentials and secrets (Fernet, keyed from SADAKAT_SECRET_KEY)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class SecretKeyError(RuntimeError):
    """No usable key to encrypt or decrypt stored secrets."""


def secret_key(env: Mapping[str, str] | None = None) -> str:
    """SADAKAT_SECRET_KEY; on the embedded defaults, one generated once into the data directory.

    With a real database (DATABASE_URL) the key must be set explicitly: every host sharing that
    database needs the same key.
    """
    env = os.environ if env is None else env
    if env.get("SADAKAT_SECRET_KEY"):
        return env["SADAKAT_SECRET_KEY"]
    if env.get("DATABASE_URL"):
        raise SecretKeyError("SADAKAT_SECRET_KEY must be set when DATABASE_URL is (every host needs the same key)")
    path = Path(env.get("SADAKAT_DATA_DIR") or "var").resolve() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


@cache
def _cipher(current: str, previous: str | None) -> MultiFernet:
    return MultiFernet([_fernet(current)] + ([_fernet(previous)] if previous else []))


def cipher() -> MultiFernet:
    """This process's cipher: encrypts with the current key, decrypts with it or SADAKAT_SECRET_KEY_PREVIOUS."""
    return _cipher(secret_key(), os.environ.get("SADAKAT_SECRET_KEY_PREVIOUS") or None)


@lru_cache(maxsize=1024)
def _decrypt(cipher: MultiFernet, token: str) -> str:
    # A token always decrypts to the same text, so the secrets read on every webhook and lookup are
    # decrypted once per process. A token that fails raises, and is not remembered.
    return cipher.decrypt(token.encode()).decode()


def _in_clear(token: str) -> str:
    try:
        return _decrypt(cipher(), token)
    except InvalidToken:
        raise SecretKeyError(
            "a stored secret can't be decrypted: SADAKAT_SECRET_KEY changed? "
            "(set the old one as SADAKAT_SECRET_KEY_PREVIOUS)"
        ) from None


class EncryptedText(TypeDecorator[str]):
    """Text stored encrypted; read back in clear."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher().encrypt(value.encode()).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _in_clear(str(value))


class EncryptedValues(TypeDecorator[dict[str, str]]):
    """A small mapping of names to secrets (a store's API credentials, named as its adapter names them),
    kept as JSON with every value encrypted; read back in clear. Assign a new mapping to change it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Mapping[str, str | None] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        fernet = cipher()
        return json.dumps({name: fernet.encrypt(secret.encode()).decode() for name, secret in value.items() if secret})

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, str]:
        if not value:
            return {}
        return {name: _in_clear(token) for name, token in json.loads(value).items()}
