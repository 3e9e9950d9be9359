"""The programme editor, ``/admin/shops/<id>/programme``: every setting of the programme as labelled fields
and rows (tiers, gift rules) that a merchant adds and removes, each error next to its field and nothing
saved on any error; a preview in the customers' words beside it; the history of changes below."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from connector.ops import Shop, shops
from connector.ops.rewards import programme_words
from connector.programme import ProgrammeSettings, SettingsError, programme_of, shop_currency
from connector.programme.settings import GIFT_RULES
from connector.web.admin.auth import require_admin, source, who
from connector.web.admin.programme_form import (
    CHOICES,
    GIFT_KINDS,
    EditorForm,
    FieldError,
    apply_action,
    changes,
    field_error,
    from_request,
    from_settings,
)
from connector.web.admin.texts import NO_VALUE, Text, text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_programme", __name__, url_prefix="/admin")
bp.before_request(require_admin)
LABELS = {
    "redemption.points_per_unit": "points_per_unit",
    "redemption.minimum_points": "minimum_points",
    "redemption.step_points": "step_points",
    "survey.enabled": "survey_enabled",
    "survey.delay_days": "survey_delay_days",
    "survey.points": "survey_points",
    "referrals.enabled": "referrals_enabled",
    "referrals.referrer_points": "referrer_points",
    "referrals.hold_days": "hold_days",
    "referrals.max_claims_per_address_per_week": "max_claims",
    "referrals.friend_reward.kind": "friend_kind",
    "referrals.friend_reward.value": "friend_value",
    "referrals.friend_reward.days": "friend_days",
    "tiers": "section_tiers",
    "gifts": "section_gifts",
    "currency": "currency_setting",
}


def _shop(shop_id: int) -> Shop | None:
    with runtime().storage.session(read_only=True) as session:
        return shops.shop_in(session, shop_id)


def preview(settings: ProgrammeSettings, currency: str | None, lang: str) -> dict[str, Any]:
    """The programme as customers will read it."""
    return {
        "earn": programme_words.ways_to_earn(settings, currency, lang),
        "example": programme_words.example(settings, Decimal(100), currency, lang),
        "redeem": programme_words.redeem_line(settings, currency, lang),
        "gifts": [programme_words.gift_line(g, currency, lang) for g in settings.gifts],
        "tiers": [
            (t.name, programme_words.tier_perks(t, currency, lang, settings.tier_period, settings.tier_basis))
            for t in settings.tiers
        ],
    }


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found |= _flat(inner, f"{prefix}{key}.") if key not in ("tiers", "gifts") or prefix else {key: inner}
        return found
    return {prefix.rstrip("."): value}


def _shown(t: Text, name: str, value: Any) -> str:
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if name == "tiers":
        return ", ".join(f"{tier['name']} ({tier['min_spend']})" for tier in value) or NO_VALUE
    if name == "gifts":
        return ", ".join(t(f"rule_{gift['rule']}") for gift in value) or NO_VALUE
    return str(value)


def describe(t: Text, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a change changed, one line per setting, in the admin's words."""
    old, new = _flat(before), _flat(after)
    lines = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            key = LABELS.get(name, name)
            label = t(key) if key in t.words else name
            lines.append(
                t("changed", field=label, before=_shown(t, name, old.get(name)), after=_shown(t, name, new.get(name)))
            )
    return lines


def _render(
    shop: Shop, editor: EditorForm, errors: list[FieldError] | None = None, status: int = 200
) -> ResponseReturnValue:
    t = text_for()
    stored = programme_of(shop)
    try:
        shown = stored.updated(changes(editor, stored.to_dict(), t.lang))
    except SettingsError:
        shown = stored
    currency = shop_currency(shop)
    with runtime().storage.session(read_only=True) as session:
        history = [
            (change.created_at, change.by, describe(t, change.before, change.after))
            for change in shops.programme_history(session, shop.id)
        ]
    page = render_template(
        "admin/programme.html",
        shop=shop,
        form=editor,
        error=errors[0] if errors else None,
        errors={e.field: t(e.key, **e.values) for e in reversed(errors or [])},
        preview=preview(shown, currency, t.lang),
        history=history,
        rules=GIFT_RULES,
        kinds=GIFT_KINDS,
        choices=CHOICES,
    )
    return page, status


@bp.get("/shops/<shop_id:shop_id>/programme")
def editor(shop_id: int) -> ResponseReturnValue:
    """The programme as a form, its preview and its history."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    return _render(shop, from_settings(programme_of(shop).to_dict(), text_for().lang))


@bp.post("/shops/<shop_id:shop_id>/programme/preview")
def preview_fragment(shop_id: int) -> ResponseReturnValue:
    """The preview of the form as typed so far, saving nothing (the editor's script asks as the merchant
    types; without script the preview follows each add, remove or save)."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    t = text_for()
    stored = programme_of(shop)
    try:
        shown = stored.updated(changes(from_request(request.form), stored.to_dict(), t.lang))
    except SettingsError:
        shown = stored
    fragment = render_template("admin/programme_preview.html", preview=preview(shown, shop_currency(shop), t.lang))
    return fragment, 200, {"Cache-Control": "no-store"}


@bp.post("/shops/<shop_id:shop_id>/programme")
def save(shop_id: int) -> ResponseReturnValue:
    """Save the form, or add or remove a row (which saves nothing)."""
    shop = _shop(shop_id)
    if shop is None:
        return problem(404, f"no shop {shop_id}")
    submitted = from_request(request.form)
    if apply_action(submitted, request.form.get("action", "save")):
        return _render(shop, submitted)
    try:
        shops.change_settings(
            runtime().storage,
            shop.id,
            changes(submitted, programme_of(shop).to_dict(), text_for().lang),
            by=who(),
            queue=runtime().queue,
            source=source(),
        )
    except SettingsError as exc:
        return _render(shop, submitted, [field_error(SettingsError(part)) for part in str(exc).split("; ")], 400)
    flash(text_for()("programme_saved"))
    return redirect(url_for("admin_programme.editor", shop_id=shop.id))
