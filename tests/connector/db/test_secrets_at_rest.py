"""Store credentials and secrets are encrypted in the database and never logged."""

from __future__ import annotations

import logging

import pytest
import responses
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import inspect, text

from connector.config import Config
from connector.db.crypto import SecretKeyError, secret_key
from connector.db.storage import Storage
from connector.db.tables import Shop
from connector.ops.shops import register_shop
from tests.support import AUTH, drain, paid_shopify_order

SECRETS = ["shpat_live_token_0123456789", "wh-secret-abcdef-987654", "ck_consumerkey_55555", "cs_consumersecret_77777"]


def every_stored_text(storage: Storage) -> str:
    """Every value in every table, as the database holds it."""
    chunks = []
    with storage.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
    return "\n".join(chunks)


def test_no_secret_is_stored_in_clear_or_logged(
    storage: Storage, config: Config, client: FlaskClient, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop = register_shop(
        storage, config, "shopify", "secret-test.myshopify.com", {"access_token": SECRETS[0]}, SECRETS[1]
    )
    woo = register_shop(
        storage,
        config,
        "woocommerce",
        "https://w.example",
        {"consumer_key": SECRETS[2], "consumer_secret": SECRETS[3]},
        SECRETS[1] + "-w",
    )
    responses.post("https://secret-test.myshopify.com/admin/api/2026-01/graphql.json", status=500, body="oops")
    body = paid_shopify_order()
    import json

    from tests.support import sign

    raw = json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-Hmac-Sha256": sign(raw, SECRETS[1]),
        "X-Shopify-Webhook-Id": "s-1",
    }
    assert client.post("/webhooks/shopify", data=raw, headers=headers).status_code == 200
    drain(redis)
    client.get("/admin/api/shops", headers=AUTH)

    stored = every_stored_text(storage)
    with storage.session() as session:
        carrier_secret = session.get(Shop, woo.id).carrier_secret
    for secret in [*SECRETS, carrier_secret]:
        assert secret and secret not in stored
        assert secret not in caplog.text
    with storage.session() as session:  # and they read back in clear for the code that needs them
        assert session.get(Shop, shop.id).credentials["access_token"] == SECRETS[0]
        assert session.get(Shop, woo.id).credentials["consumer_secret"] == SECRETS[3]


def test_a_real_database_needs_an_explicit_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SecretKeyError, match="SADAKAT_SECRET_KEY must be set"):
        secret_key({"DATABASE_URL": "postgresql://x/y", "SADAKAT_DATA_DIR": str(tmp_path)})
    generated = secret_key({"SADAKAT_DATA_DIR": str(tmp_path)})
    assert generated == secret_key({"SADAKAT_DATA_DIR": str(tmp_path)})  # generated once, then kept
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_changed_key_is_noticed_even_after_a_secret_was_read_and_the_previous_key_still_reads_it(
    storage: Storage, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = register_shop(storage, config, "shopify", "rotate.myshopify.com", {"access_token": SECRETS[0]}, SECRETS[1])
    with storage.session() as session:
        assert session.get(Shop, shop.id).credentials["access_token"] == SECRETS[0]  # read (and decrypted) once already
    old_key = secret_key()
    monkeypatch.setenv("SADAKAT_SECRET_KEY", "a-new-key-someone-set-without-the-old-one")
    with pytest.raises(SecretKeyError, match="SADAKAT_SECRET_KEY_PREVIOUS"), storage.session() as session:
        session.get(Shop, shop.id)
    monkeypatch.setenv("SADAKAT_SECRET_KEY_PREVIOUS", old_key)
    with storage.session() as session:
        assert session.get(Shop, shop.id).credentials["access_token"] == SECRETS[0]
