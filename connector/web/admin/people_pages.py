"""A shop's merchant side: its people, API tokens and audit trail, as pages for its owner and as the admin API,
and where its events go (webhook endpoints, Klaviyo) as the admin API. Who may open each route is decided by
``auth.require_admin`` (people and tokens: the owner; the audit trail and events' destinations: owner and
manager)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from connector.errors import Refused
from connector.ops import shops
from connector.ops.merchants import audit, destinations, people
from connector.outbox import events, pushes
from connector.queue.connection import current_queue
from connector.web.admin.auth import require_admin, source, who
from connector.web.admin.texts import text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
bp.before_request(require_admin)


def _page(
    shop_id: int, status: int = 200, error: str | None = None, new_token: people.Token | None = None
) -> ResponseReturnValue:
    shop = shops.find_shop(runtime().storage, shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    storage = runtime().storage
    page = render_template(
        "admin/people.html",
        shop=shop,
        people=people.people(storage, shop_id),
        tokens=people.tokens(storage, shop_id),
        support_limit=people.support_limit(storage, shop_id),
        roles=people.ROLES,
        error=error,
        new_token=new_token,
    )
    return page, status


@bp.get("/shops/<shop_id:shop_id>/people")
def page(shop_id: int) -> ResponseReturnValue:
    """The shop's people and their roles, the support staff's adjustment limit, and the API tokens."""
    return _page(shop_id)


@bp.post("/shops/<shop_id:shop_id>/people")
def add(shop_id: int) -> ResponseReturnValue:
    """Give an e-mail address a role at the shop."""
    t = text_for()
    try:
        added = people.add_person(
            runtime().storage, shop_id, request.form.get("email"), request.form.get("role"), who(), source()
        )
    except Refused as exc:
        return _page(shop_id, exc.status, str(exc))
    flash(t("person_added", email=added.email, role=t(f"role_{added.role}")))
    return redirect(url_for("admin_people.page", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/people/remove")
def remove(shop_id: int) -> ResponseReturnValue:
    """Take a person off the shop."""
    email = request.form.get("email")
    try:
        people.remove_person(runtime().storage, shop_id, email, who(), source())
    except Refused as exc:
        return _page(shop_id, exc.status, str(exc))
    flash(text_for()("person_removed", email=email))
    return redirect(url_for("admin_people.page", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/people/support-limit")
def support_limit(shop_id: int) -> ResponseReturnValue:
    """Set the most points support staff may adjust at a time."""
    try:
        limit = people.set_support_limit(
            runtime().storage, shop_id, request.form.get("points", "").strip(), who(), source()
        )
    except Refused as exc:
        return _page(shop_id, exc.status, str(exc))
    flash(text_for()("support_limit_saved", points=limit))
    return redirect(url_for("admin_people.page", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/tokens")
def token_create(shop_id: int) -> ResponseReturnValue:
    """Create an API token; the page shows it this once."""
    name = (request.form.get("name") or "").strip() or None
    try:
        made = people.create_token(runtime().storage, shop_id, request.form.get("role"), name, who(), source())
    except Refused as exc:
        return _page(shop_id, exc.status, str(exc))
    return _page(shop_id, 201, new_token=made)


@bp.post("/shops/<shop_id:shop_id>/tokens/<row_id:token_id>/revoke")
def token_revoke(shop_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke an API token."""
    try:
        revoked = people.revoke_token(runtime().storage, shop_id, token_id, who(), source())
    except Refused as exc:
        return _page(shop_id, exc.status, str(exc))
    flash(text_for()("token_revoked", name=revoked.name))
    return redirect(url_for("admin_people.page", shop_id=shop_id))


@bp.get("/shops/<shop_id:shop_id>/audit")
def audit_page(shop_id: int) -> ResponseReturnValue:
    """Every change made to the shop by a person or a token."""
    shop = shops.find_shop(runtime().storage, shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    return render_template("admin/audit.html", shop=shop, entries=audit.entries(runtime().storage, shop_id))


@bp.get("/api/shops/<shop_id:shop_id>/people")
def api_people(shop_id: int) -> ResponseReturnValue:
    """The shop's people and their roles."""
    return jsonify(people=[asdict(p) for p in people.people(runtime().storage, shop_id)])


@bp.post("/api/shops/<shop_id:shop_id>/people")
def api_add(shop_id: int) -> ResponseReturnValue:
    """``{"email", "role"}``: give the address that role at the shop (201)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"email": "ana@example.com", "role": "support"}')
    added = people.add_person(runtime().storage, shop_id, body.get("email"), body.get("role"), who(), source())
    return jsonify(asdict(added)), 201


@bp.delete("/api/shops/<shop_id:shop_id>/people/<path:email>")
def api_remove(shop_id: int, email: str) -> ResponseReturnValue:
    """Take a person off the shop."""
    people.remove_person(runtime().storage, shop_id, email, who(), source())
    return jsonify(status="removed")


@bp.get("/api/shops/<shop_id:shop_id>/tokens")
def api_tokens(shop_id: int) -> ResponseReturnValue:
    """The shop's API tokens (never their secrets)."""
    return jsonify(tokens=[asdict(t) | {"secret": None} for t in people.tokens(runtime().storage, shop_id)])


@bp.post("/api/shops/<shop_id:shop_id>/tokens")
def api_token_create(shop_id: int) -> ResponseReturnValue:
    """``{"role", "name"}``: a new token, its secret in this answer only (201)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"role": "manager", "name": "reports"}')
    made = people.create_token(runtime().storage, shop_id, body.get("role"), body.get("name"), who(), source())
    return jsonify(id=made.id, name=made.name, role=made.role, token=made.secret), 201


@bp.post("/api/shops/<shop_id:shop_id>/tokens/<row_id:token_id>/revoke")
def api_token_revoke(shop_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke a token: refused from the next request on."""
    revoked = people.revoke_token(runtime().storage, shop_id, token_id, who(), source())
    return jsonify(asdict(revoked) | {"secret": None})


@bp.get("/api/shops/<shop_id:shop_id>/audit")
def api_audit(shop_id: int) -> ResponseReturnValue:
    """The shop's latest changes, newest first: who, when, from where, what, before and after."""
    if shops.find_shop(runtime().storage, shop_id) is None:
        return problem(404, f"no shop {shop_id}")
    return jsonify(entries=audit.entries(runtime().storage, shop_id))


@bp.get("/api/shops/<shop_id:shop_id>/webhooks")
def api_webhooks(shop_id: int) -> ResponseReturnValue:
    """The shop's webhook endpoints (never their secrets)."""
    return jsonify(webhooks=destinations.webhooks(runtime().storage, shop_id))


@bp.post("/api/shops/<shop_id:shop_id>/webhooks")
def api_webhook_add(shop_id: int) -> ResponseReturnValue:
    """``{"url", "events"}``: subscribe a URL (no ``events``: every type); its secret in this answer only (201)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(
            400, 'the body must be a JSON object like {"url": "https://example.com/hooks", "events": ["points.earned"]}'
        )
    config = runtime().config
    made = destinations.add_webhook(runtime().storage, shop_id, body.get("url"), body.get("events"), who(),
                                    allow_private=config.allow_private_store_addresses, source=source())  # fmt: skip
    return jsonify(id=made.id, secret=made.secret), 201


@bp.delete("/api/shops/<shop_id:shop_id>/webhooks/<row_id:endpoint_id>")
def api_webhook_remove(shop_id: int, endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint; deliveries still on their way to it are cancelled."""
    destinations.remove_webhook(runtime().storage, shop_id, endpoint_id, who(), source())
    return jsonify(status="removed")


@bp.get("/api/shops/<shop_id:shop_id>/webhooks/<row_id:endpoint_id>/deliveries")
def api_webhook_deliveries(shop_id: int, endpoint_id: int) -> ResponseReturnValue:
    """The endpoint's last 100 deliveries, newest first."""
    return jsonify(deliveries=destinations.delivery_log(runtime().storage, shop_id, endpoint_id))


@bp.post("/api/shops/<shop_id:shop_id>/webhooks/<row_id:endpoint_id>/deliveries/<row_id:delivery_id>/again")
def api_webhook_again(shop_id: int, endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Deliver that event to the endpoint once more, with the same ``webhook-id`` (202)."""
    asked = destinations.send_again(runtime().storage, shop_id, endpoint_id, delivery_id)
    pushes.dispatch(runtime().storage, current_queue(runtime().config), asked)
    return jsonify(status="queued", delivery=asked[0][0] if asked else None), 202


@bp.post("/api/shops/<shop_id:shop_id>/webhooks/<row_id:endpoint_id>/test")
def api_webhook_test(shop_id: int, endpoint_id: int) -> ResponseReturnValue:
    """Send the endpoint a test event (type ``sadakat.test``) (202)."""
    asked = destinations.send_test(runtime().storage, shop_id, endpoint_id)
    pushes.dispatch(runtime().storage, current_queue(runtime().config), asked)
    return jsonify(status="queued", delivery=asked[0][0] if asked else None), 202


@bp.get("/api/shops/<shop_id:shop_id>/klaviyo")
def api_klaviyo(shop_id: int) -> ResponseReturnValue:
    """Whether the shop sends to Klaviyo (never the key)."""
    return jsonify(destinations.klaviyo(runtime().storage, shop_id))


@bp.put("/api/shops/<shop_id:shop_id>/klaviyo")
def api_klaviyo_set(shop_id: int) -> ResponseReturnValue:
    """``{"enabled", "private_api_key"}``: the key is checked with Klaviyo and never shown again."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, 'the body must be a JSON object like {"enabled": true, "private_api_key": "pk_..."}')
    state = destinations.set_klaviyo(runtime().storage, shop_id, body.get("enabled"), body.get("private_api_key"),
                                     who(), source())  # fmt: skip
    return jsonify(state)


def _connections(
    shop_id: int, status: int = 200, error: str | None = None, new_secret: str | None = None
) -> ResponseReturnValue:
    shop = shops.find_shop(runtime().storage, shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    storage = runtime().storage
    endpoints = destinations.webhooks(storage, shop_id)
    logs = {
        e["id"]: [
            d | {"created_at": datetime.fromisoformat(d["created_at"])}
            for d in destinations.delivery_log(storage, shop_id, e["id"])
        ]
        for e in endpoints
    }
    page = render_template("admin/connections.html", shop=shop, endpoints=endpoints, logs=logs, error=error,
                           new_secret=new_secret, klaviyo=destinations.klaviyo(storage, shop_id),
                           types=list(events.TYPES))  # fmt: skip
    return page, status


CONNECTION_ERRORS = (  # what the set-up said, in the page's words (Klaviyo's own reason kept, quoted)
    ("must start with https://", "endpoint_https"),
    ("has no host name", "endpoint_no_host"),
    ("not a public internet address", "endpoint_not_public"),
    ("url is required", "endpoint_url_required"),
    ("endpoints: remove one first", "endpoint_too_many"),
    ("Klaviyo could not be reached", "klaviyo_unreachable"),
    ("Klaviyo refused the key", "klaviyo_refused"),
)


def _said(exc: Exception) -> str:
    said, t = str(exc), text_for()
    for pattern, key in CONNECTION_ERRORS:
        if pattern in said:
            return t(key, reason=said.rsplit(": ", 1)[-1])
    return said


@bp.get("/shops/<shop_id:shop_id>/connections")
def connections(shop_id: int) -> ResponseReturnValue:
    """Where the shop's events go: webhook endpoints with their deliveries, and Klaviyo."""
    return _connections(shop_id)


@bp.post("/shops/<shop_id:shop_id>/connections/webhooks")
def connections_add(shop_id: int) -> ResponseReturnValue:
    """Subscribe a URL; the page shows its signing secret this once."""
    chosen = request.form.getlist("events") or None
    private = runtime().config.allow_private_store_addresses
    try:
        made = destinations.add_webhook(runtime().storage, shop_id, request.form.get("url"), chosen, who(),
                                        allow_private=private, source=source())  # fmt: skip
    except Refused as exc:
        return _connections(shop_id, exc.status, _said(exc))
    return _connections(shop_id, 201, new_secret=made.secret)


@bp.post("/shops/<shop_id:shop_id>/connections/webhooks/<row_id:endpoint_id>/remove")
def connections_remove(shop_id: int, endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint."""
    try:
        destinations.remove_webhook(runtime().storage, shop_id, endpoint_id, who(), source())
    except Refused as exc:
        return _connections(shop_id, exc.status, _said(exc))
    flash(text_for()("endpoint_removed"))
    return redirect(url_for("admin_people.connections", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/connections/webhooks/<row_id:endpoint_id>/test")
def connections_test(shop_id: int, endpoint_id: int) -> ResponseReturnValue:
    """Send the endpoint a test event."""
    try:
        asked = destinations.send_test(runtime().storage, shop_id, endpoint_id)
    except Refused as exc:
        return _connections(shop_id, exc.status, _said(exc))
    pushes.dispatch(runtime().storage, current_queue(runtime().config), asked)
    flash(text_for()("test_event_sent"))
    return redirect(url_for("admin_people.connections", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/connections/webhooks/<row_id:endpoint_id>/deliveries/<row_id:delivery_id>/again")
def connections_again(shop_id: int, endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send one delivery again."""
    try:
        asked = destinations.send_again(runtime().storage, shop_id, endpoint_id, delivery_id)
    except Refused as exc:
        return _connections(shop_id, exc.status, _said(exc))
    pushes.dispatch(runtime().storage, current_queue(runtime().config), asked)
    flash(text_for()("delivery_sent_again"))
    return redirect(url_for("admin_people.connections", shop_id=shop_id))


@bp.post("/shops/<shop_id:shop_id>/connections/klaviyo")
def connections_klaviyo(shop_id: int) -> ResponseReturnValue:
    """Turn Klaviyo on (with a key) or off."""
    key = (request.form.get("private_api_key") or "").strip() or None
    enabled = request.form.get("enabled") == "on"
    try:
        destinations.set_klaviyo(runtime().storage, shop_id, enabled, key, who(), source())
    except Refused as exc:
        return _connections(shop_id, exc.status, _said(exc))
    flash(text_for()("klaviyo_on" if enabled else "klaviyo_off"))
    return redirect(url_for("admin_people.connections", shop_id=shop_id))
