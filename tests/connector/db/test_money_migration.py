"""Migration 0016 stores SQLite's money as whole ten-thousandths without changing any amount, so both
databases sum it exactly; downgrading gives the same text back."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, create_engine, func, select, text

from connector.config import Config
from connector.db.referrals import ReferralClaim
from connector.db.storage import Storage, alembic_config
from connector.db.tables import IssuedCode, LedgerEntry, OrderRecord, RefundRecord, TierChange

AMOUNTS = ["0", "0.0001", "19.99", "45.50", "-3.5", "1234.5678", "99999999.9999", "100000000", "0.1", "0.2"]
ONCE = [
    "INSERT INTO shops (id, platform, domain, base_url, settings, created_at, currency_confirmed, credentials)"
    " VALUES (1, 'sandbox', 'demo.sandbox', 'https://demo.sandbox', '{}', :now, 1, '{}')",
    "INSERT INTO customers (id, shop_id, key, points, created_at) VALUES (1, 1, 'c1', 0, :now)",
    "INSERT INTO referral_links (id, shop_id, customer_id, code, created_at) VALUES (1, 1, 1, 'R', :now)",
]
PER_AMOUNT = [
    "INSERT INTO orders (id, shop_id, order_id, paid, cancelled, fully_refunded, test, updated_at,"
    " merchandise_amount, shipping_amount, tax_amount, total, earn_rate)"
    " VALUES (:n, 1, :n, 1, 0, 0, 0, :now, :amount, :amount, NULL, :amount, :amount)",
    "INSERT INTO refunds (id, shop_id, refund_id, order_id, merchandise_amount) VALUES (:n, 1, :n, :n, :amount)",
    "INSERT INTO ledger_entries (id, shop_id, customer_id, key, kind, points, source_type, source_id, rule,"
    " created_at, rate, amount) VALUES (:n, 1, 1, :n, 'order', 1, 'order', :n, 'r', :now, :amount, :amount)",
    "INSERT INTO tier_changes (id, shop_id, customer_id, spend, reason, created_at)"
    " VALUES (:n, 1, 1, :amount, 'spend', :now)",
    "INSERT INTO issued_codes (id, shop_id, code, customer_id, reason, kind, value, created_at)"
    " VALUES (:n, 1, :n, 1, 'gift', 'fixed_amount', :amount, :now)",
    "INSERT INTO referral_claims (id, shop_id, referrer_id, friend_email, status, created_at, updated_at,"
    " order_total) VALUES (:n, 1, 1, :n, 'held', :now, :now, :amount)",
]


def _seed(conn: Connection) -> None:
    now = "2026-01-01 00:00:00"
    for statement in ONCE:
        conn.execute(text(statement), {"now": now})
    for n, amount in enumerate(AMOUNTS, start=1):
        for statement in PER_AMOUNT:  # the amounts as the text SQLite held before
            conn.execute(text(statement), {"n": n, "amount": amount, "now": now})


def test_no_amount_changes_and_sqlite_sums_money_exactly(tmp_path: Path, services: Config) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrations = alembic_config(replace(services, database_url=url))
    command.upgrade(migrations, "0015")
    engine = create_engine(url)
    with engine.begin() as conn:
        _seed(conn)

    command.upgrade(migrations, "head")
    expected = [Decimal(a) for a in AMOUNTS]
    storage = Storage(url)
    columns = [OrderRecord.merchandise_amount, OrderRecord.shipping_amount, OrderRecord.total, OrderRecord.earn_rate,
               RefundRecord.merchandise_amount, LedgerEntry.rate, LedgerEntry.amount, TierChange.spend,
               IssuedCode.value, ReferralClaim.order_total]  # fmt: skip
    with storage.session() as session:
        for column in columns:
            found = list(session.scalars(select(column).order_by(column.class_.id)))
            assert found == expected, column
            assert session.scalar(select(func.sum(column))) == sum(expected), column
        assert list(session.scalars(select(OrderRecord.tax_amount))) == [None] * len(AMOUNTS)
        # 0.1 + 0.2 is 0.3 exactly, as it is on PostgreSQL (in floating point it is 0.30000000000000004)
        assert session.scalar(select(func.sum(OrderRecord.total)).where(OrderRecord.id >= 9)) == Decimal("0.3")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT typeof(total) FROM orders WHERE id = 3")).scalar() == "integer"
        assert conn.execute(text("SELECT total FROM orders WHERE id = 3")).scalar() == 199900

    command.downgrade(migrations, "0015")
    with engine.connect() as conn:
        stored = list(conn.execute(text("SELECT total FROM orders ORDER BY id")).scalars())
    assert [Decimal(value) for value in stored] == expected
    storage.engine.dispose()
    engine.dispose()
