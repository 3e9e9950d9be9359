"""Reading one setting: typed, bounded, and a SettingsError naming the field when it is wrong."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.errors import Invalid
from connector.inputs import InputError, decimal_number, whole_number


class SettingsError(Invalid):
    """A programme setting has a value Sadakat can't use."""


def no_unknown(raw: dict[str, Any], kind: type, where: str) -> None:
    """SettingsError naming any key ``kind`` doesn't have."""
    unknown = set(raw) - set(kind.__dataclass_fields__)
    if unknown:
        raise SettingsError(f"unknown {where}: {', '.join(sorted(map(str, unknown)))}")


def decimal(
    raw: dict[str, Any],
    name: str,
    default: Decimal | None,
    *,
    low: Decimal,
    high: Decimal,
    where: str = "",
    places: int | None = None,
) -> Decimal:
    """A decimal between ``low`` and ``high`` (with at most ``places`` decimals, if given), or the default."""
    try:
        value = decimal_number(raw.get(name, default), f"{where}{name}", low=low, high=high)
    except InputError as exc:
        raise SettingsError(str(exc)) from None
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise SettingsError(f"{where}{name} may have at most {places} decimals, got {value}")
    return value


def integer(raw: dict[str, Any], name: str, default: int | None, *, low: int, high: int, where: str = "") -> int:
    """A whole number between ``low`` and ``high``, or the default."""
    try:
        return whole_number(raw.get(name, default), f"{where}{name}", low=low, high=high)
    except InputError as exc:
        raise SettingsError(str(exc)) from None


def boolean(raw: dict[str, Any], name: str, default: bool, where: str = "") -> bool:
    """true/false (also yes/no, on/off, 1/0), or the default."""
    value = raw.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.lower() in ("true", "yes", "on", "1")
    raise SettingsError(f"{where}{name} must be true or false, got {value!r}")


def choice(raw: dict[str, Any], name: str, choices: tuple[str, ...], default: str, where: str = "") -> str:
    """One of ``choices``, or the default."""
    value = raw.get(name, default)
    if value not in choices:
        raise SettingsError(f"{where}{name} must be one of {', '.join(choices)}, got {value!r}"[:200])
    return str(value)
