"""A shop's programme settings: defaults, and validation of what an admin sets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

LOCALES = ("en", "tr")


class SettingsError(ValueError):
    """A programme setting has a value Sadakat can't use."""


@dataclass(frozen=True)
class ProgrammeSettings:
    """How a shop's programme earns points."""

    earn_rate: Decimal = Decimal(1)
    """Points per 1.00 of merchandise (after discounts, without shipping and tax), rounded down."""
    sync_customers: bool = True
    """Write each member's points and tier into the store's customer record."""
    locale: str = "en"
    """Language of the notes customers get from the store: ``en`` or ``tr``."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ProgrammeSettings:
        """Settings from their stored form, defaults filling what's missing; SettingsError if invalid."""
        raw = dict(raw or {})
        unknown = set(raw) - {"earn_rate", "sync_customers", "locale"}
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
        earn_rate = cls.earn_rate
        if "earn_rate" in raw:
            try:
                earn_rate = Decimal(str(raw["earn_rate"]))
            except InvalidOperation:
                raise SettingsError(f"earn_rate must be a number, got {raw['earn_rate']!r}") from None
            if not earn_rate.is_finite() or earn_rate < 0 or earn_rate > 1000:
                raise SettingsError(f"earn_rate must be between 0 and 1000 points per 1.00, got {earn_rate}")
        sync_customers = _boolean(raw.get("sync_customers", cls.sync_customers), "sync_customers")
        locale = raw.get("locale", cls.locale)
        if locale not in LOCALES:
            raise SettingsError(f"locale must be one of {', '.join(LOCALES)}, got {locale!r}")
        return cls(earn_rate=earn_rate, sync_customers=sync_customers, locale=locale)

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(self).items()}


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.lower() in ("true", "yes", "on", "1")
    raise SettingsError(f"{name} must be true or false, got {value!r}")
