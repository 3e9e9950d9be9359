"""Members: a customer record found or created for an order's buyer, kept up to date, and a guest's
points joined to the account that appears under their e-mail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector.db.customers import MemberRow, member_rows, write_member_rows
from connector.db.storage import insert_once
from connector.db.tables import CustomerRecord, OrderRecord, Shop
from connector.model import Customer
from connector.programme import programme_of
from connector.rules.referrals import email_key
from connector.settle import ledger


def customer_record(session: Session, shop_id: int, customer: Customer) -> CustomerRecord | None:
    """The member record for ``customer``, created on first sight; None when there's no one to credit."""
    row = customer_records(session, shop_id, [customer]).get(customer.key)
    return session.get(CustomerRecord, row.id) if row is not None else None


def customer_records(session: Session, shop_id: int, customers: list[Customer]) -> dict[str | None, MemberRow | None]:
    """The members for ``customers`` by key, created on first sight, as plain rows: a few statements for all.
    A guest whose e-mail has an account is that account; an account takes over its e-mail's guest points."""
    table = CustomerRecord.__table__
    found: dict[str | None, MemberRow | None] = {None: None}
    guest_emails = {c.email for c in customers if c.id is None and c.email}
    if guest_emails:
        for account in member_rows(session, shop_id, table.c.email.in_(guest_emails), table.c.platform_id.isnot(None)):
            found.setdefault(f"email:{account.email}", account)
    fresh = {c.key: c for c in customers if c.key and c.key not in found}
    if not fresh:
        return found
    session.execute(
        insert_customer_once(session.get_bind().dialect.name),
        [
            {"shop_id": shop_id, "key": c.key, "platform_id": c.id, "points": 0}
            | {"email": c.email, "email_key": email_key(c.email) if c.email else None}
            | {"first_name": c.first_name, "last_name": c.last_name, "locale": c.locale}
            for c in fresh.values()
        ],
    )
    changed, accounts_with_email = [], []
    for record in member_rows(session, shop_id, table.c.key.in_(list(fresh))):
        if merge_member(record, fresh[record.key]):
            changed.append(record)
        found[record.key] = record
        if fresh[record.key].id is not None and record.email:
            accounts_with_email.append(record)
    write_member_rows(session, changed, MEMBER_FIELDS)
    if accounts_with_email:
        guests = set(
            session.scalars(
                select(CustomerRecord.key).where(
                    CustomerRecord.shop_id == shop_id,
                    CustomerRecord.key.in_([f"email:{account.email}" for account in accounts_with_email]),
                )
            )
        )
        for account in accounts_with_email:
            if f"email:{account.email}" in guests:
                merge_guest(session, shop_id, account)
    return found


MEMBER_FIELDS = ("email", "first_name", "last_name", "locale")


def merge_member(record: MemberRow, customer: Customer) -> bool:
    """Take the buyer's e-mail, names and language, where given, into their member's row; whether any changed."""
    changed = False
    for name in MEMBER_FIELDS:
        value = getattr(customer, name)
        if value and getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def insert_customer_once(dialect: str) -> Any:
    """INSERT of a member that does nothing when the shop has their key already."""
    columns = ("shop_id", "key", "platform_id", "email", "email_key", "first_name", "last_name", "locale", "points")
    return insert_once(dialect, CustomerRecord.__table__, columns, ("shop_id", "key"))


def merge_guest(session: Session, shop_id: int, account: MemberRow) -> bool:
    """Move the points a guest earned under the account's e-mail into the account (append-only: an entry out
    of the guest and one into the account), and the guest's orders with them. Returns whether it moved any."""
    guest = session.scalars(
        select(CustomerRecord)
        .where(CustomerRecord.shop_id == shop_id, CustomerRecord.key == f"email:{account.email}")
        .with_for_update()
    ).first()
    if guest is None or guest.id == account.id:
        return False
    session.execute(update(OrderRecord).where(OrderRecord.customer_id == guest.id).values(customer_id=account.id))
    points = ledger.balance(session, guest.id)
    if points == 0:
        return False
    common = {"kind": "adjustment", "source_type": "customer", "rule": "guest_points_joined_account"}
    ledger.append(
        session,
        shop_id,
        guest.id,
        ledger.NewEntry(
            key=f"merge:{guest.id}:out:{points}:{ledger.count(session, guest.id)}",
            points=-points,
            source_id=account.key,
            **common,
        ),
    )
    ledger.append(
        session,
        shop_id,
        account.id,
        ledger.NewEntry(
            key=f"merge:{guest.id}:into:{account.id}:{ledger.count(session, account.id)}",
            points=points,
            source_id=guest.key,
            **common,
        ),
    )
    return True


def welcome(session: Session, shop: Shop, account: MemberRow) -> bool:
    """Signup points for a new customer account, once per customer (the store reported the account)."""
    points = programme_of(shop).signup_points
    if not points or not account.platform_id:
        return False
    return ledger.append(
        session,
        shop.id,
        account.id,
        ledger.NewEntry(
            key=f"signup:{account.platform_id}",
            kind="signup",
            points=points,
            source_type="customer",
            source_id=account.platform_id,
            rule="signup",
        ),
    )
