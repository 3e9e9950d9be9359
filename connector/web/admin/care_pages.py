"""The care queue, for admins and scripts: ``/admin/shops/<id>/care`` (a page) and
``/admin/api/shops/<id>/care`` (JSON); send a code, add a note, resolve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from connector.ops import CareItem, shops
from connector.ops.after_delivery import care
from connector.ops.carriers import service_labels
from connector.outbox import pushes
from connector.web.admin.auth import bearer_ok, current_access, require_admin, source
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_care", __name__, url_prefix="/admin")
bp.before_request(require_admin)
STATUSES = {"open": CareItem.OPEN, "resolved": CareItem.RESOLVED, "all": None}
SAID_BEFORE = {
    ("auto", "apology code sent"): "apology",
    ("resolved", "the parcel was delivered"): "resolved_delivered",
    ("resolved", "the shipment with this tracking number arrived"): "resolved_shipment_arrived",
}
"""What Sadakat wrote in English into items' histories before it wrote a word the page puts in the reader's."""
CODE_KINDS = ("fixed_amount", "percentage", "free_shipping")


def _who() -> str:
    access = current_access()
    if access is not None and not access.operator:
        return access.name  # a shop's person, token or Shopify staff member
    return "admin (API)" if bearer_ok() else "admin"


def _status() -> str | None:
    return STATUSES.get(request.args.get("status", "open"), CareItem.OPEN)


@bp.get("/api/shops/<shop_id:shop_id>/care")
def list_items(shop_id: int) -> ResponseReturnValue:
    """What needs a person, newest first (``?status=open|resolved|all``)."""
    if request.args.get("status", "open") not in STATUSES:
        return problem(400, "status must be one of open, resolved, all")
    with runtime().storage.session() as session:
        if shops.shop_in(session, shop_id) is None:
            return problem(404, f"no shop {shop_id}")
        return jsonify(items=care.items(session, shop_id, _status()), open=care.open_count(session, shop_id))


@bp.post("/api/shops/<shop_id:shop_id>/care/<row_id:item_id>/codes")
def api_code(shop_id: int, item_id: int) -> ResponseReturnValue:
    """Send the item's customer a code: ``{"kind": "fixed_amount"|"percentage"|"free_shipping", "value", "days"}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "the body must be a JSON object")
    try:
        issued = _send_code(shop_id, item_id, body)
    except LookupError as exc:
        return problem(404, str(exc))
    except (care.CareActionError, pushes.PushRequestError) as exc:
        return problem(400, str(exc))
    return jsonify(code=issued.code, push_id=issued.push_id), 202


@bp.post("/api/shops/<shop_id:shop_id>/care/<row_id:item_id>/notes")
def api_note(shop_id: int, item_id: int) -> ResponseReturnValue:
    """Add a note: ``{"text": "..."}``."""
    body = request.get_json(silent=True)
    try:
        care.add_note(
            runtime().storage,
            shop_id,
            item_id,
            (body or {}).get("text") if isinstance(body, dict) else None,
            _who(),
            source(),
        )
    except LookupError as exc:
        return problem(404, str(exc))
    except care.CareActionError as exc:
        return problem(400, str(exc))
    return jsonify(status="noted"), 201


@bp.post("/api/shops/<shop_id:shop_id>/care/<row_id:item_id>/resolve")
def api_resolve(shop_id: int, item_id: int) -> ResponseReturnValue:
    """Mark the item resolved."""
    try:
        care.resolve(runtime().storage, shop_id, item_id, _who(), source())
    except LookupError as exc:
        return problem(404, str(exc))
    return jsonify(status="resolved")


def _send_code(shop_id: int, item_id: int, given: Any) -> pushes.Issued:
    days = given.get("days", 30)
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    issued = care.send_code(
        runtime().storage,
        shop_id,
        item_id,
        kind=given.get("kind", "fixed_amount"),
        value=given.get("value"),
        days=days,
        by=_who(),
        source=source(),
    )
    pushes.dispatch(runtime().storage, runtime().queue, issued.pushes)
    return issued


@bp.get("/shops/<shop_id:shop_id>/care")
def page(shop_id: int, error: str | None = None, code: int = 200) -> ResponseReturnValue:
    """The care queue page."""
    t = text_for()
    with runtime().storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        listed = care.items(session, shop_id, _status())
        html = render_template(
            "admin/care.html",
            shop=shop,
            items=listed,
            kinds=care.KIND_WORDS[t.lang],
            code_kinds=CODE_KINDS,
            status=request.args.get("status", "open"),
            open_count=care.open_count(session, shop_id),
            error=error,
            services=service_labels() | {"sadakat": "Sadakat"},
            said=_said,
        )
    return html, code


def _said(entry: dict[str, Any]) -> str:
    """One step of an item's history in the reader's words (a person's note kept as they wrote it)."""
    t = text_for()
    what, text = entry.get("what", ""), entry.get("text") or ""
    if (what, text) in SAID_BEFORE:
        what, text = SAID_BEFORE[(what, text)], ""
    words = t("care_what_" + what)
    return f"{words} — {text}" if text else words


@bp.post("/shops/<shop_id:shop_id>/care/<row_id:item_id>/<any(code, note, resolve):action>")
def act(shop_id: int, item_id: int, action: str) -> ResponseReturnValue:
    """Send a code, add a note or resolve, from the page; a bad value is shown above the list."""
    t = text_for()
    try:
        if action == "code":
            _send_code(shop_id, item_id, request.form)
        elif action == "note":
            care.add_note(runtime().storage, shop_id, item_id, request.form.get("text"), _who(), source())
        else:
            care.resolve(runtime().storage, shop_id, item_id, _who(), source())
    except LookupError as exc:
        return problem(404, str(exc))
    except (care.CareActionError, pushes.PushRequestError):
        return page(shop_id, error=t("care_bad_" + action), code=400)
    flash(t("care_done_" + action))
    return redirect(url_for("admin_care.page", shop_id=shop_id) + f"#care-{item_id}")
