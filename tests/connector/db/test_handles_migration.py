"""Migration 0021: members' addresses get their inbox key, and shops that existed before get a random handle
and keep answering at their number; a shop created after it answers only at its handle."""

from dataclasses import replace
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from connector.config import Config
from connector.db.storage import Storage, alembic_config
from connector.db.tables import CustomerRecord, Shop


def test_existing_shops_and_members_are_carried_over(tmp_path: Path, services: Config) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrations = alembic_config(replace(services, database_url=url))
    command.upgrade(migrations, "0020")
    engine = Storage(url).engine  # with the SQL functions the search index's triggers call
    with engine.begin() as conn:
        for shop_id in (1, 2):
            conn.execute(
                text("INSERT INTO shops (id, platform, domain, base_url, settings, credentials, created_at) "
                     "VALUES (:id, 'sandbox', :domain, 'https://x', '{}', '{}', '2026-01-01 00:00:00')"),
                {"id": shop_id, "domain": f"shop{shop_id}"},
            )  # fmt: skip
        conn.execute(
            text("INSERT INTO customers (shop_id, key, email, points, created_at) "
                 "VALUES (1, 'email:x', 'Ann.Lee+news@GoogleMail.com', 0, '2026-01-01 00:00:00')")
        )  # fmt: skip
    command.upgrade(migrations, "head")
    storage = Storage(url)
    with storage.session() as session:
        shops = session.scalars(select(Shop).order_by(Shop.id)).all()
        assert all(shop.answers_at_id and len(shop.handle) == 12 for shop in shops)
        assert shops[0].handle != shops[1].handle
        assert session.scalars(select(CustomerRecord.email_key)).one() == "annlee@gmail.com"
        later = Shop(platform="sandbox", domain="later", base_url="https://y", settings={}, credentials={})
        session.add(later)
        session.flush()
        assert not later.answers_at_id and len(later.handle) == 12
    command.downgrade(migrations, "0020")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM shops")).scalar() == 3
    storage.engine.dispose()
    engine.dispose()
