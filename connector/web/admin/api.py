"""The admin JSON API, for scripts (bearer token) and the admin pages (session + CSRF header)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from adapters import get_adapter
from connector import inbox
from connector.inputs import InputError, whole_number
from connector.ops import LedgerEntry, Push, Shop, carriers, exports, figures, shops
from connector.ops.merchants import audit
from connector.outbox import pushes, store_credit
from connector.programme import SettingsError, currency_confirmed, programme_of, shop_currency
from connector.settle import ledger
from connector.settle.growth import referrals
from connector.web.admin.auth import current_access, require_admin, source, who
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin", __name__, url_prefix="/admin")
EVENT_STATUSES = ("pending", "processed", "ignored", "unmatched", "failed", "discarded")


bp.before_request(require_admin)


@bp.get("/api/shops")
def list_shops() -> ResponseReturnValue:
    """Every registered shop the caller reaches (the operator: all)."""
    access = current_access()
    reach = access.shops() if access is not None else []
    with runtime().storage.session() as session:
        listed = [shop for shop in shops.all_shops(session) if reach is None or shop.id in reach]
        return jsonify(shops=[shop_json(shop, runtime().config.public_url) for shop in listed])


@bp.get("/api/shops/<shop_id:shop_id>/customers/<path:ident>")
def customer(shop_id: int, ident: str) -> ResponseReturnValue:
    """A customer's balance and ledger history, by platform customer id or e-mail."""
    with runtime().storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        record = shops.find_member(session, shop_id, ident)
        if record is None:
            return problem(404, f"no customer {ident!r} in shop {shop_id}")
        entries = ledger.history(session, record.id)
        referral = (
            f"{runtime().config.public_url}/r/{shop.handle}/{referrals.link_code(session, shop, record)}"
            if record.platform_id
            else None  # a guest has no account to share a link from
        )
        return jsonify(
            shop_id=shop_id,
            referral_url=referral,
            customer={
                "key": record.key,
                "id": record.platform_id,
                "email": record.email,
                "first_name": record.first_name,
                "last_name": record.last_name,
            },
            points=record.points,
            tier=record.tier,
            entries=[entry_json(entry) for entry in entries],
            store_credit=store_credit.summary(session, shop_id, record.id),
        )


@bp.post("/api/shops/<shop_id:shop_id>/customers/<path:ident>/codes")
def issue_code(shop_id: int, ident: str) -> ResponseReturnValue:
    """Give a customer a single-use discount code: ``{"kind", "value", "days", "title", "key"}``.
    ``key`` (or an ``Idempotency-Key`` header) makes a repeated request return the same code."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "the body must be a JSON object")
    key = body.get("key") or request.headers.get("Idempotency-Key")
    try:
        issued = pushes.issue_code_for(
            runtime().storage,
            shop_id,
            ident,
            kind=body.get("kind", "fixed_amount"),
            value=body.get("value"),
            days=body.get("days", 30),
            title=body.get("title") or "Sadakat gift",
            key=key,
        )
    except LookupError as exc:
        return problem(404, str(exc))
    except pushes.PushRequestError as exc:
        return problem(400, str(exc))
    pushes.dispatch(runtime().storage, runtime().queue, issued.pushes)
    if not issued.repeated:
        given = {"kind": body.get("kind", "fixed_amount"), "value": body.get("value")}
        audit.note(runtime().storage, shop_id, who(), source(), "code", ident[:100], given)
    return jsonify(code=issued.code, push_id=issued.push_id, repeated=issued.repeated), 202


@bp.get("/api/shops/<shop_id:shop_id>/pushes")
def list_pushes(shop_id: int) -> ResponseReturnValue:
    """The shop's pushes, newest first; ``?status=failed`` for the ones that need an admin."""
    status = request.args.get("status")
    if status and status not in PUSH_STATUSES:
        return problem(400, f"status must be one of {', '.join(PUSH_STATUSES)}")
    with runtime().storage.session() as session:
        return jsonify(pushes=[push_json(p) for p in pushes.recent(session, shop_id, status)])


@bp.post("/api/shops/<shop_id:shop_id>/pushes/<row_id:push_id>/retry")
def retry_push(shop_id: int, push_id: int) -> ResponseReturnValue:
    """Try a failed push again from scratch."""
    try:
        pushes.retry_failed(runtime().storage, shop_id, push_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except pushes.PushRequestError as exc:
        return problem(409, str(exc))
    pushes.dispatch(runtime().storage, runtime().queue, [(push_id, shop_id)])
    return jsonify(status="pending"), 202


@bp.post("/api/shops/<shop_id:shop_id>/pushes/<row_id:push_id>/discard")
def discard_push(shop_id: int, push_id: int) -> ResponseReturnValue:
    """Give up on a failed push for good."""
    try:
        pushes.discard_failed(runtime().storage, shop_id, push_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except pushes.PushRequestError as exc:
        return problem(409, str(exc))
    return jsonify(status="cancelled")


@bp.get("/api/shops/<shop_id:shop_id>/events")
def list_events(shop_id: int) -> ResponseReturnValue:
    """The shop's events, newest first: ``?status=failed`` for those that need attention, ``?limit=``."""
    status = request.args.get("status") or None
    if status is not None and status not in EVENT_STATUSES:
        return problem(400, f"status must be one of {', '.join(EVENT_STATUSES)}")
    try:
        limit = whole_number(request.args.get("limit", "50"), "limit", low=1, high=500)
    except InputError as exc:
        return problem(400, str(exc))
    with runtime().storage.session(read_only=True) as session:
        return jsonify(events=inbox.recent_events(session, shop_id, status, limit))


@bp.post("/api/shops/<shop_id:shop_id>/events/<row_id:event_id>/retry")
def retry_event(shop_id: int, event_id: int) -> ResponseReturnValue:
    """Run an event again (safe for a processed order: a repeat adds nothing)."""
    try:
        inbox.retry_event(runtime().storage, runtime().queue, shop_id, event_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    return jsonify(status="pending"), 202


@bp.post("/api/shops/<shop_id:shop_id>/events/<row_id:event_id>/discard")
def discard_event(shop_id: int, event_id: int) -> ResponseReturnValue:
    """Give up on a failed event for good."""
    try:
        inbox.discard(runtime().storage, shop_id, event_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    return jsonify(status="discarded")


@bp.get("/api/shops/<shop_id:shop_id>/metrics")
def shop_metrics(shop_id: int) -> ResponseReturnValue:
    """Programme metrics: members, repeat purchase, order value, points, liability, gifts, tiers, segments. A
    large shop's first figures are counted by a worker: 202, with when they will be ready and Retry-After."""
    counting = figures.roll_up_if_small(runtime().storage, shop_id, runtime().redis, runtime().queue)
    with runtime().storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        if counting is not None:
            wait = max(1, int((counting - datetime.now(UTC)).total_seconds()))
            answer = jsonify(status="counting", ready_at=counting.isoformat(), retry_after_seconds=wait)
            return answer, 202, {"Retry-After": str(wait)}
        return jsonify(json_ready(figures.programme_metrics(session, shop)))


def json_ready(value: Any) -> Any:
    """Decimals as strings (money and rates stay exact), recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value


@bp.get("/api/shops/<shop_id:shop_id>/settings")
def get_settings(shop_id: int) -> ResponseReturnValue:
    """The shop's programme settings, defaults filled in."""
    with runtime().storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        return jsonify(programme_of(shop).to_dict())


@bp.put("/api/shops/<shop_id:shop_id>/settings")
def put_settings(shop_id: int) -> ResponseReturnValue:
    """Replace the named settings (e.g. ``{"earn_rate": "2", "tiers": [...]}``); invalid values change nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "the body must be a JSON object of settings")
    try:
        settings = shops.change_settings(
            runtime().storage, shop_id, body, by=who(), queue=runtime().queue, source=source()
        )
    except LookupError as exc:
        return problem(404, str(exc))
    except SettingsError as exc:
        return problem(400, str(exc))
    return jsonify(settings.to_dict())


@bp.get("/api/shops/<shop_id:shop_id>/carriers")
def list_carriers(shop_id: int) -> ResponseReturnValue:
    """The tracking services, whether the shop connected each, and the webhook URL to paste into each."""
    with runtime().storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        return jsonify(carriers.connections(session, shop_id, runtime().config.public_url))


@bp.put("/api/shops/<shop_id:shop_id>/carriers/<service>")
def put_carrier(shop_id: int, service: str) -> ResponseReturnValue:
    """Connect a tracking service: ``{"secret": "..."}`` (and, for Shippo without signing, ``"token"``)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "the body must be a JSON object with the service's secret")
    given = {name: body.get(name) for name in ("secret", "token")}
    for name, value in given.items():
        if value is not None and not isinstance(value, str):
            return problem(400, f"{name} must be text")
    try:
        carriers.connect(runtime().storage, shop_id, service, given["secret"], given["token"])
    except LookupError as exc:
        return problem(404, str(exc))
    except carriers.CarrierSetupError as exc:
        return problem(400, str(exc))
    with runtime().storage.session() as session:
        listed = carriers.connections(session, shop_id, runtime().config.public_url)
    return jsonify(next(row for row in listed if row["service"] == service))


@bp.get("/api/shops/<shop_id:shop_id>/shipments/<path:number>")
def shipment(shop_id: int, number: str) -> ResponseReturnValue:
    """A shipment's tracking status, carrier, link, expected delivery and every piece of news, by its number."""
    with runtime().storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        found = carriers.shipment_history(session, shop_id, number[:128])
    if found is None:
        return problem(404, f"no shipment or tracking news with the number {number[:128]!r}")
    return jsonify(found)


@bp.get("/api/shops/<shop_id:shop_id>/data-exports")
def list_exports(shop_id: int) -> ResponseReturnValue:
    """Data requests received for the shop's customers, newest first."""
    return jsonify(exports=exports.data_requests(runtime().storage, shop_id))


@bp.get("/api/shops/<shop_id:shop_id>/data-exports/<row_id:export_id>")
def download_export(shop_id: int, export_id: int) -> ResponseReturnValue:
    """One data export as a JSON file, to hand to the store owner for their customer."""
    body = exports.data_request(runtime().storage, shop_id, export_id)
    if body is None:
        return problem(404, f"no data export {export_id} in shop {shop_id}")
    response = jsonify(body)
    response.headers["Content-Disposition"] = f'attachment; filename="sadakat-data-request-{export_id}.json"'
    return response


PUSH_STATUSES = (Push.PENDING, Push.RUNNING, Push.DONE, Push.FAILED, Push.CANCELLED)


def push_json(push: Push) -> dict[str, Any]:
    """A push as admins see it."""
    return {
        "id": push.id,
        "kind": push.kind,
        "target": push.target,
        "status": push.status,
        "attempts": push.attempts,
        "last_error": push.last_error,
        "store_object_id": push.store_object_id,
        "code": push.payload.get("code"),
        "tracking_status": push.payload.get("status") if push.kind == pushes.TRACKING else None,
        "amount": push.payload.get("amount") if push.kind in (store_credit.CREDIT, store_credit.DEBIT) else None,
        "currency": push.payload.get("currency") if push.kind in (store_credit.CREDIT, store_credit.DEBIT) else None,
        "created_at": push.created_at.isoformat(),
        "updated_at": push.updated_at.isoformat(),
    }


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
        "note": entry.note,
        "actor": entry.source_id if entry.source_type == "admin" else None,
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
        "rewards_url": f"{public_url}/rewards/{shop.handle}",
        "launcher_url": f"{public_url}/rewards/{shop.handle}/launcher.js",
        "created_at": shop.created_at.isoformat(),
        "uninstalled_at": shop.uninstalled_at.isoformat() if shop.uninstalled_at else None,
        "currency": shop_currency(shop),
        "currency_confirmed": currency_confirmed(shop),
    }
