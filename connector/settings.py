"""A shop's programme settings: defaults, and validation of what an admin sets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class SettingsError(ValueError):
    """A programme setting has a value Sadakat can't use."""


@dataclass(frozen=True)
class ProgrammeSettings:
    """How a shop's programme earns points."""

    earn_rate: Decimal = Decimal(1)
    """Points per 1.00 of merchandise (after discounts, without shipping and tax), rounded down."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ProgrammeSettings:
        """Settings from their stored form, defaults filling what's missing; SettingsError if invalid."""
        raw = dict(raw or {})
        unknown = set(raw) - {"earn_rate"}
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
        return cls(earn_rate=earn_rate)

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(self).items()}
