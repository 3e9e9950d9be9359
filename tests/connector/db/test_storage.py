"""How the storage layer behaves under concurrent use."""

from __future__ import annotations

from sqlalchemy import select

from connector.db.storage import Storage
from connector.db.tables import Shop


def test_a_read_only_session_reads_while_a_writer_holds_its_transaction(storage: Storage, shopify_shop: Shop) -> None:
    with storage.session() as writer:
        writer.get(Shop, shopify_shop.id, with_for_update=True).settings = {"earn_rate": "2"}
        writer.flush()  # the writer holds the database's (SQLite) or the row's (PostgreSQL) write lock
        with storage.session(read_only=True) as reader:  # would wait for the writer if it took the write lock
            assert reader.scalar(select(Shop.domain).where(Shop.id == shopify_shop.id)) == shopify_shop.domain
    with storage.session(read_only=True) as reader:
        assert reader.get(Shop, shopify_shop.id).settings == {"earn_rate": "2"}
