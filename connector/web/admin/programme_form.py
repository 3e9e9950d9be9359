"""The programme editor's form: the stored settings as form values and rows (tiers, gift rules), the
submitted form back as settings changes, and a settings error as the field it belongs to with words a
merchant understands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from connector.language.catalogs import LANGUAGES
from connector.programme import SettingsError
from connector.programme.settings import GIFT_RULES

NUMBERS = (
    "earn_rate",
    "expiry_months",
    "expiry_warning_days",
    "tier_grace_days",
    "points_per_unit",
    "minimum_points",
    "step_points",
    "credit_days",
    "signup_points",
    "survey_delay_days",
    "survey_points",
    "friend_value",
    "friend_days",
    "referrer_points",
    "hold_days",
    "max_claims",
)
CHECKS = ("include_shipping", "include_tax", "sync_customers", "survey_enabled", "referrals_enabled")
CHOICES = {
    "locale": LANGUAGES["customer"],
    "return_spent_points": ("always", "never"),
    "tier_period": ("rolling_12_months", "calendar_year", "lifetime"),
    "expiry_mode": ("inactivity", "per_earning"),
    "tier_basis": ("spend", "points"),
    "friend_kind": ("amount", "percentage", "free_shipping"),
    "reward": ("discount_code", "store_credit"),
}
TEXTS = ("colour", "currency", "shop_name", "sender_email", "reply_to", "signup_url")
TIER_FIELDS = ("name", "min_spend", "min_points", "multiplier", "cashback_percent")
GIFT_FIELDS = ("value", "days", "every", "threshold", "chance")
GIFT_KINDS = ("fixed_amount", "percentage", "free_shipping", "store_credit", "points")
MAX_TIERS, MAX_GIFTS = 10, 20
# Where a settings error's path points in the form.
PATHS = {
    "redemption.points_per_unit": "points_per_unit",
    "redemption.minimum_points": "minimum_points",
    "redemption.step_points": "step_points",
    "redemption.reward": "reward",
    "redemption.credit_days": "credit_days",
    "survey.delay_days": "survey_delay_days",
    "survey.points": "survey_points",
    "referrals.friend_reward.value": "friend_value",
    "referrals.friend_reward.days": "friend_days",
    "referrals.friend_reward.kind": "friend_kind",
    "referrals.referrer_points": "referrer_points",
    "referrals.hold_days": "hold_days",
    "referrals.max_claims_per_address_per_week": "max_claims",
    "tier": "tiers",
    "each": "tiers",
}


DECIMALS = ("earn_rate", "friend_value")
ROW_DECIMALS = ("min_spend", "multiplier", "cashback_percent", "value", "threshold", "chance")


def read_number(text: str, lang: str) -> str:
    """A number as a person of ``lang`` types it ("1,5", "1.250", "1,250.50") as the settings read it ("1.5",
    "1250", "1250.50"); anything else is left as typed, for the settings to refuse by name."""
    typed = str(text).strip().replace(" ", "").replace("\u00a0", "")
    mark, group = (",", ".") if lang == "tr" else (".", ",")
    if re.fullmatch(rf"-?\d{{1,3}}({re.escape(group)}\d{{3}})+({re.escape(mark)}\d+)?", typed):
        typed = typed.replace(group, "")
    return typed.replace(",", ".") if lang == "tr" else typed


def show_number(value: Any, lang: str) -> str:
    """A stored number as ``lang`` writes it in a field: "1.25" → "1,25" in Turkish."""
    text = "" if value is None else str(value)
    return text.replace(".", ",") if lang == "tr" else text


@dataclass
class EditorForm:
    """What the editor shows: scalar values by name, and the rows of tiers and gift rules."""

    values: dict[str, Any]
    tiers: list[dict[str, Any]] = field(default_factory=list)
    gifts: list[dict[str, Any]] = field(default_factory=list)


def from_settings(settings: dict[str, Any], lang: str = "en") -> EditorForm:
    """The stored settings (``ProgrammeSettings.to_dict()``) as the editor's form, numbers as ``lang`` writes
    them."""
    redemption = settings.get("redemption", {})
    survey = settings.get("survey", {})
    referrals = settings.get("referrals", {})
    friend = referrals.get("friend_reward", {})
    values = {
        "earn_rate": settings.get("earn_rate", ""),
        "include_shipping": settings.get("include_shipping", False),
        "include_tax": settings.get("include_tax", False),
        "sync_customers": settings.get("sync_customers", True),
        "locale": settings.get("locale", "en"),
        "colour": settings.get("colour", "#0f766e"),
        "currency": settings.get("currency", ""),
        "shop_name": settings.get("shop_name", ""),
        "sender_email": settings.get("sender_email", ""),
        "reply_to": settings.get("reply_to", ""),
        "signup_url": settings.get("signup_url", ""),
        "return_spent_points": settings.get("return_spent_points", "always"),
        "expiry_months": settings.get("expiry_months", ""),
        "expiry_warning_days": settings.get("expiry_warning_days", ""),
        "expiry_mode": settings.get("expiry_mode", "inactivity"),
        "tier_period": settings.get("tier_period", "rolling_12_months"),
        "tier_basis": settings.get("tier_basis", "spend"),
        "tier_grace_days": settings.get("tier_grace_days", 0),
        "points_per_unit": redemption.get("points_per_unit", ""),
        "minimum_points": redemption.get("minimum_points", ""),
        "step_points": redemption.get("step_points", ""),
        "reward": redemption.get("reward", "discount_code"),
        "credit_days": redemption.get("credit_days", ""),
        "signup_points": settings.get("signup_points", 0),
        "survey_enabled": survey.get("enabled", False),
        "survey_delay_days": survey.get("delay_days", ""),
        "survey_points": survey.get("points", ""),
        "referrals_enabled": referrals.get("enabled", False),
        "friend_kind": friend.get("kind", "amount"),
        "friend_value": friend.get("value", ""),
        "friend_days": friend.get("days", ""),
        "referrer_points": referrals.get("referrer_points", ""),
        "hold_days": referrals.get("hold_days", ""),
        "max_claims": referrals.get("max_claims_per_address_per_week", ""),
    }
    tiers = [
        {
            "name": t.get("name", ""),
            "min_spend": t.get("min_spend", ""),
            "min_points": t.get("min_points") if t.get("min_points") is not None else "",
            "multiplier": t.get("multiplier", "1"),
            "cashback_percent": t.get("cashback_percent", ""),
            "free_shipping_monthly": bool(t.get("free_shipping_monthly")),
        }
        for t in settings.get("tiers", [])
    ]
    gifts = [
        {
            "rule": g.get("rule", "first_order"),
            "kind": g.get("kind", "fixed_amount"),
            **{name: g.get(name, "") if g.get(name) is not None else "" for name in GIFT_FIELDS},
        }
        for g in settings.get("gifts", [])
    ]
    for name in DECIMALS:
        values[name] = show_number(values[name], lang)
    for row in [*tiers, *gifts]:
        for name in ROW_DECIMALS:
            if name in row:
                row[name] = show_number(row[name], lang)
    return EditorForm(values, tiers, gifts)


def from_request(form: MultiDict[str, str]) -> EditorForm:
    """The submitted form as the editor shows it again (whatever was typed stays)."""
    values: dict[str, Any] = {name: form.get(name, "").strip() for name in (*NUMBERS, *TEXTS)}
    values |= {name: name in form for name in CHECKS}
    values |= {name: form.get(name, options[0]) for name, options in CHOICES.items()}
    tiers = [
        {
            **{name: form.get(f"tier-{n}-{name}", "").strip() for name in TIER_FIELDS},
            "free_shipping_monthly": f"tier-{n}-free_shipping_monthly" in form,
        }
        for n in range(min(_count(form, "tier_rows"), MAX_TIERS))
    ]
    gifts = [
        {
            "rule": form.get(f"gift-{n}-rule", GIFT_RULES[0]),
            "kind": form.get(f"gift-{n}-kind", GIFT_KINDS[0]),
            **{name: form.get(f"gift-{n}-{name}", "").strip() for name in GIFT_FIELDS},
        }
        for n in range(min(_count(form, "gift_rows"), MAX_GIFTS))
    ]
    return EditorForm(values, tiers, gifts)


def _count(form: MultiDict[str, str], name: str) -> int:
    raw = form.get(name, "0")
    return int(raw) if raw.isdigit() else 0


def apply_action(editor: EditorForm, action: str) -> bool:
    """Add or remove a row for the editor's buttons (``add_tier``, ``remove_gift:2``...). Returns whether
    ``action`` was one of them (else it is a save)."""
    if action == "add_tier" and len(editor.tiers) < MAX_TIERS:
        editor.tiers.append(
            {
                "name": "",
                "min_spend": "",
                "min_points": "",
                "multiplier": "1",
                "cashback_percent": "",
                "free_shipping_monthly": False,
            }
        )
    elif action == "add_gift" and len(editor.gifts) < MAX_GIFTS:
        editor.gifts.append({"rule": "first_order", "kind": "fixed_amount", "value": "", "days": "30",
                             "every": "", "threshold": "", "chance": ""})  # fmt: skip
    elif found := re.fullmatch(r"remove_(tier|gift):(\d+)", action):
        rows = editor.tiers if found[1] == "tier" else editor.gifts
        if int(found[2]) < len(rows):
            rows.pop(int(found[2]))
    else:
        return action in ("add_tier", "add_gift")
    return True


def changes(editor: EditorForm, stored: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The settings the form sets (empty rows left out; numbers read as ``lang`` writes them); what the editor
    doesn't show keeps its stored value."""
    v = dict(editor.values)
    for name in NUMBERS:
        v[name] = read_number(v.get(name, ""), lang)
    tiers = [{k: read_number(val, lang) if k in ROW_DECIMALS else val for k, val in r.items()} for r in editor.tiers]
    gifts = [{k: read_number(val, lang) if k in GIFT_FIELDS else val for k, val in r.items()} for r in editor.gifts]
    return {
        "earn_rate": v["earn_rate"],
        "include_shipping": v["include_shipping"],
        "include_tax": v["include_tax"],
        "sync_customers": v["sync_customers"],
        "locale": v["locale"],
        "colour": v["colour"],
        "currency": v["currency"] or None,
        "shop_name": v["shop_name"] or None,
        "sender_email": v["sender_email"] or None,
        "reply_to": v["reply_to"] or None,
        "signup_url": v["signup_url"] or None,
        "return_spent_points": v["return_spent_points"],
        "expiry_months": v["expiry_months"] or None,
        "expiry_warning_days": v["expiry_warning_days"],
        "expiry_mode": v["expiry_mode"],
        "tier_period": v["tier_period"],
        "tier_basis": v["tier_basis"],
        "tier_grace_days": v["tier_grace_days"] or "0",
        "redemption": {name: v[name] for name in ("points_per_unit", "minimum_points", "step_points", "reward")}
        | {"credit_days": v["credit_days"] or None},
        "signup_points": v["signup_points"] or "0",
        "survey": {
            "enabled": v["survey_enabled"],
            "delay_days": v["survey_delay_days"],
            "points": v["survey_points"],
            "question": stored.get("survey", {}).get("question"),
        },
        "referrals": {
            "enabled": v["referrals_enabled"],
            "friend_reward": {"kind": v["friend_kind"], "value": v["friend_value"] or "0", "days": v["friend_days"]}
            if v["friend_kind"] != "free_shipping"
            else {"kind": "free_shipping", "days": v["friend_days"]},
            "referrer_points": v["referrer_points"],
            "hold_days": v["hold_days"],
            "max_claims_per_address_per_week": v["max_claims"],
        },
        "tiers": [_tier(row) for row in tiers if any(row[name] for name in ("name", "min_spend", "min_points"))],
        "gifts": [_gift(row) for row in gifts],
    }


def _tier(row: dict[str, Any]) -> dict[str, Any]:
    spend = row["min_spend"] or ("0" if row.get("min_points") else "")
    tier = {"name": row["name"], "min_spend": spend, "multiplier": row["multiplier"] or "1"}
    if row.get("min_points"):
        tier["min_points"] = row["min_points"]
    if row.get("cashback_percent"):
        tier["cashback_percent"] = row["cashback_percent"]
    return tier | ({"free_shipping_monthly": True} if row["free_shipping_monthly"] else {})


def _gift(row: dict[str, Any]) -> dict[str, Any]:
    gift: dict[str, Any] = {"rule": row["rule"], "kind": row["kind"], "days": row["days"] or "30"}
    if row["kind"] != "free_shipping":
        gift["value"] = row["value"]
    needs = {"every_nth_order": ("every",), "order_over": ("threshold",), "random_over": ("threshold", "chance")}
    for name in needs.get(row["rule"], ()):
        gift[name] = row[name]
    return gift


@dataclass(frozen=True)
class FieldError:
    """A settings error placed on its field: the field's id in the form and the message's words key and values."""

    field: str
    key: str
    values: dict[str, str]


def field_error(error: SettingsError) -> FieldError:
    """Where ``error`` belongs in the form, and what to say (a key of the editor's words)."""
    text = str(error)
    path = text.split(" ", 1)[0].rstrip(":")
    row = re.fullmatch(r"(tiers|gifts)\[(\d+)\]\.(\w+)", path)
    place = f"{row[1][:-1]}-{int(row[2]) - 1}-{row[3]}" if row else PATHS.get(path, path.rsplit(".", 1)[-1])
    if found := re.search(r"must be between (\S+) and (\S+),", text):
        return FieldError(place, "err_between", {"low": found[1], "high": found[2]})
    for pattern, key in (
        ("must be a whole number", "err_whole"),
        ("must be a number", "err_number"),
        ("multiple of", "err_multiple"),
        ("name must be a name", "err_tier_name"),
        ("tier names must be different", "err_tier_names"),
        ("its own min_spend", "err_tier_spends"),
        ("its own min_points", "err_tier_points"),
        ("colour must be", "err_colour"),
        ("must be an e-mail address", "err_email"),
        ("shop_name must be", "err_shop_name"),
        ("must be a web address", "err_url"),
        ("currency must be", "err_currency"),
        ("must be one of", "err_choice"),
        ("has no store credit", "err_no_store_credit"),
        ("gives fewer points", "err_tier_order"),
        ("at most 2 decimals", "err_two_decimals"),
    ):
        if pattern in text:
            return FieldError(place, key, {})
    return FieldError(place, "err_other", {})
