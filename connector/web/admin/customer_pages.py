"""The customers of a shop for its admin: the list (search by part of a name or e-mail, filters by tier and
segment, sorting, pages, CSV of the filtered list) and a customer's page, where the admin adjusts the
balance with a reason or issues a code. The same list and adjustments in the JSON API. And bringing members
over from another loyalty app: a file uploaded, checked, then imported."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from connector.errors import Invalid
from connector.ops import CustomerRecord, Shop, exports, shops
from connector.ops.customers import adjustments, listing, profile, set_tier
from connector.ops.imports import formats, runs
from connector.ops.merchants import audit
from connector.outbox import pushes, store_credit
from connector.programme import programme_of
from connector.rules.segments import SEGMENTS
from connector.web.admin.auth import adjust_limit, require_admin, source, who
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_customers", __name__, url_prefix="/admin")
bp.before_request(require_admin)
CODE_KINDS = ("fixed_amount", "percentage", "free_shipping")
CSV_CHUNK = 1 << 16
"""Bytes of CSV written to the socket at a time."""


def _shop(shop_id: int) -> Shop | None:
    with runtime().storage.session(read_only=True) as session:
        return shops.shop_in(session, shop_id)


def _filters() -> dict[str, Any]:
    page = request.args.get("page", "1")
    return {
        "q": "".join(ch for ch in request.args.get("q", "") if ch.isprintable()).strip()[:200] or None,
        "tier": request.args.get("tier") or None,
        "segment": request.args.get("segment") or None,
        "sort": request.args.get("sort") if request.args.get("sort") in listing.SORTS else "name",
        "descending": request.args.get("dir") == "desc",
        "page": int(page) if page.isdigit() and len(page) < 7 else 1,
    }


@bp.get("/shops/<shop_id:shop_id>/customers")
def customers(shop_id: int) -> ResponseReturnValue:
    """The customer list, searched, filtered, sorted and paged."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    filters = _filters()
    with runtime().storage.session(read_only=True) as session:
        found = listing.find(session, shop.id, **filters)
        page = render_template(
            "admin/customers.html",
            shop=shop,
            found=found,
            filters=filters,
            tiers=[t.name for t in programme_of(shop).tiers],
            segments=SEGMENTS,
            args={k: v for k, v in request.args.items() if k != "page"},
        )
    return page


@bp.get("/shops/<shop_id:shop_id>/customers.csv")
def customers_csv(shop_id: int) -> ResponseReturnValue:
    """The filtered list as CSV, streamed."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    filters = _filters()
    storage = runtime().storage

    def lines() -> Iterator[str]:
        with storage.session(read_only=True) as session:
            buffer = io.StringIO()
            writer = exports.writer(buffer)
            chosen = {name: filters[name] for name in ("q", "tier", "segment")}
            for row in listing.csv_rows(session, shop.id, **chosen):
                writer.writerow(row)
                if buffer.tell() >= CSV_CHUNK:  # one write to the socket per 64 KB, not per customer
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

    name = f"customers-{shop.id}.csv"
    return Response(lines(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _customer(shop: Shop, customer_id: int) -> CustomerRecord | None:
    with runtime().storage.session(read_only=True) as session:
        found = shops.member_in(session, customer_id) if 0 < customer_id < 2**62 else None
        return found if found is not None and found.shop_id == shop.id else None


def _page(shop: Shop, customer: CustomerRecord, status: int = 200, **values: Any) -> ResponseReturnValue:
    t = text_for()
    with runtime().storage.session(read_only=True) as session:
        member = shops.member_in(session, customer.id)
        assert member is not None
        page = render_template(
            "admin/customer.html",
            shop=shop,
            p=profile.profile(session, shop, member, t.lang),
            credits=store_credit.movements(session, shop.id, member.id),
            key=secrets.token_urlsafe(12),
            code_kinds=CODE_KINDS,
            tiers=[tier.name for tier in programme_of(shop).tiers],
            **values,
        )
    return page, status


@bp.get("/shops/<shop_id:shop_id>/customers/<row_id:customer_id>")
def customer(shop_id: int, customer_id: int) -> ResponseReturnValue:
    """A customer's page."""
    shop = _shop(shop_id)
    found = _customer(shop, customer_id) if shop else None
    if shop is None or found is None:
        return problem(404, f"no customer {customer_id} in shop {shop_id}")
    return _page(shop, found)


@bp.post("/shops/<shop_id:shop_id>/customers/<row_id:customer_id>/adjust")
def adjust(shop_id: int, customer_id: int) -> ResponseReturnValue:
    """Add or take away points, with a reason; a bad value is shown at its field and nothing changes."""
    t = text_for()
    shop = _shop(shop_id)
    found = _customer(shop, customer_id) if shop else None
    if shop is None or found is None:
        return problem(404, f"no customer {customer_id} in shop {shop_id}")
    form = request.form
    try:
        points, reason = form.get("points", "").strip(), form.get("reason", "")
        done = adjustments.adjust(
            runtime().storage, shop.id, found.id, points, reason, form.get("key", ""), who(),
            limit=adjust_limit(shop.id), source=source(),
        )  # fmt: skip
    except adjustments.OverLimit as exc:
        return _page(shop, found, 403, adjust_error=("points", str(exc)), adjust_form=form)
    except adjustments.AdjustmentError as exc:
        field = str(exc).split(" ", 1)[0] if str(exc).split(" ", 1)[0] in ("points", "reason") else "points"
        words = t("adjust_below_zero") if "below zero" in str(exc) else t(f"adjust_bad_{field}")
        return _page(shop, found, 400, adjust_error=(field, words), adjust_form=form)
    pushes.dispatch(runtime().storage, runtime().queue, done.pushes)
    signed = ("+" if done.points > 0 else "\u2212") + t.number(abs(done.points))
    flash(t("adjusted", points=signed, balance=t.number(done.balance)))
    return redirect(url_for("admin_customers.customer", shop_id=shop.id, customer_id=found.id))


@bp.post("/shops/<shop_id:shop_id>/customers/<row_id:customer_id>/tier")
def set_tier_by_hand(shop_id: int, customer_id: int) -> ResponseReturnValue:
    """Put the customer in a tier until a day, with a reason (in the audit trail); a bad value at its field."""
    t = text_for()
    shop = _shop(shop_id)
    found = _customer(shop, customer_id) if shop else None
    if shop is None or found is None:
        return problem(404, f"no customer {customer_id} in shop {shop_id}")
    form = request.form
    try:
        _, asked = set_tier.set_tier(runtime().storage, shop.id, found.id, form.get("tier"), form.get("until"),
                                     form.get("reason"), who(), source())  # fmt: skip
    except set_tier.TierRequestError as exc:
        field = "until" if "until" in str(exc) else "tier"
        return _page(shop, found, 400, tier_error=(field, t(f"tier_bad_{field}")), tier_form=form)
    pushes.dispatch(runtime().storage, runtime().queue, asked)
    flash(t("tier_set", tier=form.get("tier", ""), day=t.day(date.fromisoformat(form.get("until", "")[:10]))))
    return redirect(url_for("admin_customers.customer", shop_id=shop.id, customer_id=found.id))


@bp.post("/shops/<shop_id:shop_id>/customers/<row_id:customer_id>/code")
def issue_code(shop_id: int, customer_id: int) -> ResponseReturnValue:
    """Give the customer a single-use code."""
    t = text_for()
    shop = _shop(shop_id)
    found = _customer(shop, customer_id) if shop else None
    if shop is None or found is None:
        return problem(404, f"no customer {customer_id} in shop {shop_id}")
    form = request.form
    kind = form.get("kind") if form.get("kind") in CODE_KINDS else "fixed_amount"
    days = form.get("days", "30").strip()
    value = None if kind == "free_shipping" else form.get("value", "").strip()
    try:
        issued = pushes.issue_code_for(
            runtime().storage,
            shop.id,
            found.key,
            kind=kind,
            value=value,
            days=int(days) if days.isdigit() and len(days) < 6 else -1,
            title=t("code_title"),
            key=form.get("key") or None,
        )
    except pushes.PushRequestError as exc:
        field = "days" if str(exc).startswith("days") else "value"
        return _page(shop, found, 400, code_error=(field, t(f"code_bad_{field}")), code_form=form)
    pushes.dispatch(runtime().storage, runtime().queue, issued.pushes)
    if not issued.repeated:
        audit.note(
            runtime().storage, shop.id, who(), source(), "code", f"customer {found.id}", {"kind": kind, "value": value}
        )
    flash(t("code_issued", code=issued.code))
    return redirect(url_for("admin_customers.customer", shop_id=shop.id, customer_id=found.id))


@bp.get("/api/shops/<shop_id:shop_id>/customers")
def api_customers(shop_id: int) -> ResponseReturnValue:
    """``?q=&tier=&segment=&sort=&dir=&page=``: a page of customers, and how many match."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    filters = _filters()
    with runtime().storage.session(read_only=True) as session:
        found = listing.find(session, shop.id, **filters)
        return jsonify(
            total=found.total,
            page=found.page,
            pages=found.pages,
            customers=[
                {
                    "id": c.platform_id,
                    "key": c.key,
                    "email": c.email,
                    "first_name": c.first_name,
                    "last_name": c.last_name,
                    "tier": c.tier,
                    "points": c.points,
                    "segment": c.segment,
                    "last_order_at": c.last_order_at.isoformat() if c.last_order_at else None,
                }
                for c in found.customers
            ],
        )


@bp.post("/api/shops/<shop_id:shop_id>/customers/<path:ident>/adjustments")
def api_adjust(shop_id: int, ident: str) -> ResponseReturnValue:
    """``{"points": 50, "reason": "...", "key": "..."}``: 201 with the balance, 200 for a repeated key."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"points": 50, "reason": "...", "key": "..."}')
    with runtime().storage.session(read_only=True) as session:
        found = shops.find_member(session, shop_id, ident)
        found_id = found.id if found else None
    if found_id is None:
        return problem(404, f"no customer {ident!r} in shop {shop_id}")
    try:
        done = adjustments.adjust(
            runtime().storage, shop_id, found_id, body.get("points"), body.get("reason"), body.get("key"), who(),
            limit=adjust_limit(shop_id), source=source(),
        )  # fmt: skip
    except adjustments.AdjustmentError as exc:
        return problem(409 if "below zero" in str(exc) else 400, str(exc))
    pushes.dispatch(runtime().storage, runtime().queue, done.pushes)
    return jsonify(points=done.points, balance=done.balance, repeated=done.repeated), 200 if done.repeated else 201


IMPORT_MAX_BYTES = 512 * 1024 * 1024
"""The largest file the admin takes (a million members' rows are about 60 MB); it is never held whole."""


def _room_for_uploads() -> None:
    """Before the admin guard reads the form: an import's upload may be larger than a webhook."""
    if request.endpoint == "admin_customers.import_upload":
        request.max_content_length = IMPORT_MAX_BYTES


bp.before_request_funcs.setdefault(bp.name, []).insert(0, _room_for_uploads)


def _import_page(shop: Shop, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    listed = runs.recent(runtime().storage, shop.id)
    page = render_template("admin/imports.html", shop=shop, runs=listed, sources=formats.NAMES, error=error,
                           form=request.form if request.method == "POST" else {})  # fmt: skip
    return page, status


@bp.get("/shops/<shop_id:shop_id>/import")
def import_page(shop_id: int) -> ResponseReturnValue:
    """The upload form and the shop's latest imports."""
    shop = _shop(shop_id)
    return problem(404, f"no shop {shop_id}") if shop is None else _import_page(shop)


@bp.post("/shops/<shop_id:shop_id>/import")
def import_upload(shop_id: int) -> ResponseReturnValue:
    """Keep the uploaded file and queue its check; then its page shows how it went."""
    t = text_for()
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid("file: choose a file")
        run_id = runs.upload(runtime().storage, runtime().config.data_dir, shop.id, upload.stream, upload.filename,
                             dict(request.form), who(), runtime().queue)  # fmt: skip
    except Invalid as exc:
        field = str(exc).split(":", 1)[0]
        return _import_page(shop, 400, t(f"import_bad_{field if field in IMPORT_FIELDS else 'file'}"))
    return redirect(url_for("admin_customers.import_run", shop_id=shop.id, run_id=run_id))


IMPORT_FIELDS = ("source", "mode", "tier_until", "file")


@bp.get("/shops/<shop_id:shop_id>/imports/<row_id:run_id>")
def import_run(shop_id: int, run_id: int) -> ResponseReturnValue:
    """A check's or an import's progress, then its report and the rows refused."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    run = runs.view(runtime().storage, runtime().config.data_dir, shop.id, run_id)  # NotFound: 404
    tiers = sorted((run["report"] or {}).get("tiers", {}).items())
    return render_template("admin/import_run.html", shop=shop, run=run, tiers=tiers)


@bp.post("/shops/<shop_id:shop_id>/imports/<row_id:run_id>/go")
def import_go(shop_id: int, run_id: int) -> ResponseReturnValue:
    """Import a checked file."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    try:
        started = runs.go(runtime().storage, shop.id, run_id, who(), runtime().queue)
    except runs.NotChecked:
        return _import_page(shop, 409, text_for()("import_not_checked"))
    flash(text_for()("import_started"))
    return redirect(url_for("admin_customers.import_run", shop_id=shop.id, run_id=started))


@bp.get("/shops/<shop_id:shop_id>/imports/<row_id:run_id>/refused.csv")
def import_refused(shop_id: int, run_id: int) -> ResponseReturnValue:
    """The rows a run refused, each with its reason, as CSV."""
    path = runs.refused_file(runtime().storage, runtime().config.data_dir, shop_id, run_id)
    if path is None:
        return problem(404, f"import {run_id} refused no row")
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"import-{run_id}-refused.csv")
