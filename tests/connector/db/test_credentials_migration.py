"""Migration 0015 moves each store's credentials into one encrypted field without changing any of them."""

from dataclasses import replace
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from connector.config import Config
from connector.db.crypto import cipher
from connector.db.storage import Storage, alembic_config
from connector.db.tables import Shop

OLD = {
    1: ("shopify", "old.myshopify.com", {"access_token": "shpat_kept_as_it_was"}),
    2: ("woocommerce", "woo.example.com", {"consumer_key": "ck_kept", "consumer_secret": "cs_kept"}),
    3: ("sandbox", "demo.sandbox", {}),
}


def test_every_stores_credentials_move_into_one_field_and_back_unchanged(tmp_path: Path, services: Config) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrations = alembic_config(replace(services, database_url=url))
    command.upgrade(migrations, "0014")
    engine = create_engine(url)
    with engine.begin() as conn:
        for shop_id, (platform, domain, credentials) in OLD.items():
            encrypted = {name: cipher().encrypt(value.encode()).decode() for name, value in credentials.items()}
            columns = ", ".join(["id", "platform", "domain", "base_url", "settings", "created_at", *encrypted])
            values = ", ".join([":id", ":platform", ":domain", ":base_url", "'{}'", "'2026-01-01 00:00:00'"])
            values += "".join(f", :{name}" for name in encrypted)
            params = {"id": shop_id, "platform": platform, "domain": domain, "base_url": f"https://{domain}"}
            conn.execute(text(f"INSERT INTO shops ({columns}) VALUES ({values})"), params | encrypted)

    command.upgrade(migrations, "head")
    storage = Storage(url)
    with storage.session() as session:
        assert {shop_id: session.get(Shop, shop_id).credentials for shop_id in OLD} == {  # type: ignore[union-attr]
            shop_id: credentials for shop_id, (_, _, credentials) in OLD.items()
        }
    with engine.connect() as conn:
        stored = " ".join(str(value) for value in conn.execute(text("SELECT credentials FROM shops")).scalars())
    assert all(secret not in stored for _, _, credentials in OLD.values() for secret in credentials.values())

    command.downgrade(migrations, "0014")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT consumer_key, consumer_secret FROM shops WHERE id = 2")).one()
    assert [cipher().decrypt(token.encode()).decode() for token in row] == ["ck_kept", "cs_kept"]
    storage.engine.dispose()
    engine.dispose()
