"""Numbers as people and scripts send them: ASCII digits only, within bounds, or an error naming the field."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.errors import Invalid

MAX_SHOP_ID = 2**31 - 1
"""The largest shop number: shops.id is a 32-bit integer on both databases. URLs and the command line
parse a shop's number against it once (connector/web/shop_ids.py, connector/cli/base.py)."""
WHOLE = re.compile(r"[+-]?[0-9]{1,19}")
DECIMAL = re.compile(r"[+-]?[0-9]{1,19}(\.[0-9]{1,12})?|[+-]?\.[0-9]{1,12}")


class InputError(Invalid):
    """A value sent to Sadakat is not one it can use; the message names the field."""


def whole_number(value: Any, field: str, *, low: int, high: int) -> int:
    """``value`` (an int, or a text of ASCII digits) as an int in ``low..high``."""
    given = value
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{field} must be a whole number, got {_shown(given)}")
    if not low <= value <= high:
        raise InputError(f"{field} must be between {low} and {high}, got {value}")
    return value


def decimal_number(value: Any, field: str, *, low: Decimal, high: Decimal) -> Decimal:
    """``value`` (an int, a float or a text of ASCII digits with an optional decimal point) as a Decimal in
    ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InputError(f"{field} must be a number, got {_shown(value)}")
    text = str(value).strip()
    try:
        number = Decimal(text) if DECIMAL.fullmatch(text) else None
    except InvalidOperation:
        number = None
    if number is None:
        raise InputError(f"{field} must be a number, got {_shown(value)}")
    if not low <= number <= high:
        raise InputError(f"{field} must be between {low} and {high}, got {text}")
    return number


def _shown(value: Any) -> str:
    """A value as an error repeats it: short, and quoted if it is text."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
