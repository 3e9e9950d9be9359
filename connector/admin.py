"""The admin JSON API (bearer token), for admins and scripts."""

from __future__ import annotations

import hmac
from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from adapters import get_adapter
from connector import ledger
from connector.errors import problem
from connector.runtime import runtime
from connector.tables import CustomerRecord, LedgerEntry, Shop
from connector.webhooks import MAX_SHOP_ID

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _require_token() -> ResponseReturnValue | None:
    expected = runtime().config.admin_token
    if not expected:
        return problem(401, "admin access is off: set SADAKAT_ADMIN_TOKEN")
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return problem(401, "missing or wrong bearer token")
    return None


@bp.get("/api/shops")
def list_shops() -> ResponseReturnValue:
    """Every registered shop."""
    with runtime().storage.session() as session:
        shops = session.scalars(select(Shop).order_by(Shop.id)).all()
        return jsonify(shops=[shop_json(shop, runtime().config.public_url) for shop in shops])


@bp.get("/api/shops/<int:shop_id>/customers/<path:ident>")
def customer(shop_id: int, ident: str) -> ResponseReturnValue:
    """A customer's balance and ledger history, by platform customer id or e-mail."""
    with runtime().storage.session() as session:
        if not 0 < shop_id <= MAX_SHOP_ID or session.get(Shop, shop_id) is None:
            return problem(404, f"no shop {shop_id}")
        record = find_customer(session, shop_id, ident)
        if record is None:
            return problem(404, f"no customer {ident!r} in shop {shop_id}")
        entries = ledger.history(session, record.id)
        return jsonify(
            shop_id=shop_id,
            customer={
                "key": record.key,
                "id": record.platform_id,
                "email": record.email,
                "first_name": record.first_name,
                "last_name": record.last_name,
            },
            points=record.points,
            entries=[entry_json(entry) for entry in entries],
        )


def find_customer(session: Any, shop_id: int, ident: str) -> CustomerRecord | None:
    """A member by platform id, or by e-mail (a registered customer before a guest)."""
    ident = ident.strip()
    if "@" not in ident:
        return session.scalars(
            select(CustomerRecord).where(CustomerRecord.shop_id == shop_id, CustomerRecord.key == ident)
        ).one_or_none()
    email = ident.lower()
    candidates = session.scalars(
        select(CustomerRecord)
        .where(CustomerRecord.shop_id == shop_id, CustomerRecord.email == email)
        .order_by(CustomerRecord.platform_id.is_(None), CustomerRecord.id)
    ).all()
    return candidates[0] if candidates else None


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as the API shows it."""
    return {
        "kind": entry.kind,
        "points": entry.points,
        "created_at": entry.created_at.isoformat(),
        "source": {"type": entry.source_type, "id": entry.source_id},
        "rule": entry.rule,
        "rate": None if entry.rate is None else format(entry.rate.normalize(), "f"),
        "amount": None if entry.amount is None else amount_text(entry.amount),
        "key": entry.key,
    }


def amount_text(amount: Decimal) -> str:
    """Money as text with at least two decimals and no trailing zeros past them (``404.95``, ``18.00``)."""
    text = format(amount.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def shop_json(shop: Shop, public_url: str) -> dict[str, Any]:
    """A shop as the CLI and the API show it (never its secrets)."""
    return {
        "id": shop.id,
        "platform": shop.platform,
        "domain": shop.domain,
        "base_url": shop.base_url,
        "webhook_url": public_url + get_adapter(shop.platform).webhook_path(shop.id),
        "carrier_webhook_url": f"{public_url}/webhooks/carrier/{shop.id}",
        "created_at": shop.created_at.isoformat(),
        "uninstalled_at": shop.uninstalled_at.isoformat() if shop.uninstalled_at else None,
    }
