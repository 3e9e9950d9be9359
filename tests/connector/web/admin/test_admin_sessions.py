"""Admin sessions live on the server: a copied cookie dies with its session, and holds nothing secret."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from connector import create_app
from connector.config import Config
from connector.web.sessions import KEY_PREFIX
from tests.support import ADMIN_PASSWORD, form_csrf, login

COOKIE = "sadakat_admin"


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser, holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief


def test_the_login_page_stores_no_session_however_often_it_is_opened(client: FlaskClient, redis: Redis) -> None:
    for _ in range(30):
        assert client.get("/admin/login").status_code == 200
    assert client.get_cookie(COOKIE) is None
    assert list(redis.scan_iter(KEY_PREFIX + "*")) == []
    client.post("/admin/language", data={"lang": "tr", "csrf_token": form_csrf(client.get("/admin/login").text)})
    assert "Giriş" in client.get("/admin/login").text and list(redis.scan_iter(KEY_PREFIX + "*")) == []


def test_the_cookie_is_a_random_id_that_changes_at_login(client: FlaskClient, redis: Redis) -> None:
    before = "planted-by-an-attacker-0123456789abcdef0123"
    client.set_cookie(COOKIE, before)
    assert login(client).status_code == 302
    after = cookie_of(client)
    assert after != before and len(after) >= 40
    fingerprint = hmac.new(ADMIN_PASSWORD.encode(), b"sadakat-admin-session", hashlib.sha256).hexdigest()
    assert fingerprint[:32] not in after and ADMIN_PASSWORD not in after
    assert redis.exists(KEY_PREFIX + after) and not redis.exists(KEY_PREFIX + before)


def test_logout_revokes_a_copied_cookie(app: Flask, client: FlaskClient) -> None:
    login(client)
    copied = cookie_of(client)
    assert with_cookie(app, copied).get("/admin/").status_code == 200
    token = form_csrf(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert with_cookie(app, copied).get("/admin/").status_code == 302, "sent to the login page"
    assert with_cookie(app, copied).get("/admin/api/shops").status_code == 401


def test_a_password_change_ends_every_session(config: Config, client: FlaskClient) -> None:
    login(client)
    copied = cookie_of(client)
    changed = create_app(dataclasses.replace(config, admin_password="a new password"))
    assert with_cookie(changed, copied).get("/admin/api/shops").status_code == 401


def test_a_session_ends_twelve_hours_after_login(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connector.web.admin.auth as auth

    login(client)
    assert client.get("/admin/api/shops").status_code == 200
    later = time.time() + 12 * 3600 + 1
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))  # the login clock only
    assert client.get("/admin/api/shops").status_code == 401
