"""Values that arrive from outside to prove something — signatures, tokens, timestamps, CSRF values —
parsed in one place: ASCII only, of bounded length and alphabet, and compared as bytes in constant time.
Anything else is simply not a match, so a caller answers it as it answers a wrong signature."""

from __future__ import annotations

import hmac
import string

MAX_TIMESTAMP_DIGITS = 12
MAX_TOKEN_LENGTH = 512
HEX = frozenset(string.hexdigits)
URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")
PRINTABLE_ASCII = frozenset(chr(c) for c in range(0x21, 0x7F))


def timestamp(value: object) -> int | None:
    """A Unix time as sent: 1 to 12 ASCII digits, else None."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TIMESTAMP_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def token(value: object, alphabet: frozenset[str] = PRINTABLE_ASCII, max_length: int = MAX_TOKEN_LENGTH) -> str | None:
    """A token or signature as sent: non-empty, at most ``max_length`` characters, all from ``alphabet``."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        return None
    return value if all(c in alphabet for c in value) else None


def same(expected: str | bytes, given: object, alphabet: frozenset[str] = PRINTABLE_ASCII) -> bool:
    """Whether ``given`` is exactly ``expected``: compared as bytes in constant time, after ``given`` is
    checked to be a token of ``expected``'s length (so no input can make the comparison itself fail)."""
    wanted = expected.encode() if isinstance(expected, str) else expected
    if not wanted:
        return False
    checked = token(given, alphabet, max(len(wanted), 1))
    if checked is None or len(checked) != len(wanted):
        return False
    return hmac.compare_digest(wanted, checked.encode())


def timed(value: object) -> tuple[int, str] | None:
    """A ``<unix time>.<signature>`` value (the forms' CSRF tokens) split into its parts, or None."""
    if not isinstance(value, str) or len(value) > MAX_TOKEN_LENGTH:
        return None
    at, dot, signature = value.partition(".")
    when = timestamp(at)
    checked = token(signature)
    return (when, checked) if dot and when is not None and checked is not None else None
