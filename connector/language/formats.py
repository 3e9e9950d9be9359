"""Money, numbers, percentages and dates as a reader of each language writes them, from CLDR through Babel.

Amounts stay exact ``Decimal`` until here; these only write them out. Digits follow the locale's default
numbering system, as CLDR gives it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal, format_percent

from connector.model import NO_YEAR

DIGITS = "default"


@cache
def locale_of(lang: str) -> Locale:
    """Babel's locale for a language code ("en", "tr", "de-AT"); English when unknown."""
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (ValueError, TypeError):
        return Locale.parse("en")


def numbering_system(lang: str) -> str:
    """The digits ``lang`` writes numbers in by default, as CLDR names them ("latn", "arab")."""
    return locale_of(lang).default_numbering_system


def number(value: int | Decimal, lang: str, places: int = 0) -> str:
    """A number grouped the language's way: "1,234" / "1.234" / "1 234", with ``places`` decimals."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale_of(lang), numbering_system=DIGITS)


def plain(value: Decimal, lang: str) -> str:
    """A number without trailing zeros: 1.50 → "1.5" ("1,5"), 2.00 → "2"."""
    return format_decimal(value.normalize(), locale=locale_of(lang), numbering_system=DIGITS)


def money(amount: Decimal, currency: str | None, lang: str) -> str:
    """An amount in its currency as the reader writes it: "$1,234.50", "₺1.234,50", "1.234,50 €"; without a
    currency, the number with two decimals."""
    if not currency:
        return number(amount, lang, 2)
    return format_currency(amount, currency.upper(), locale=locale_of(lang), numbering_system=DIGITS)


def percent(rate: Decimal, lang: str) -> str:
    """A 0-1 rate as a percentage with one decimal: "57.9%", "%57,9", "57,9 %"."""
    pattern = locale_of(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    return format_percent(rate, pattern, locale=locale_of(lang), numbering_system=DIGITS)


def share(value: Decimal, lang: str) -> str:
    """A percentage given as a number of hundredths, as the language writes it: 15 → "15%", "%15", "15 %"."""
    pattern = locale_of(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.##", 1)
    return format_percent(value / 100, pattern, locale=locale_of(lang), numbering_system=DIGITS)


def day(when: date, lang: str) -> str:
    """A day in the language's long form: "July 19, 2026", "19 Temmuz 2026", "19. Juli 2026"."""
    return format_date(when, "long", locale=locale_of(lang))


def birthday(when: date, lang: str) -> str:
    """A birthday, without the year when it was given without one ("2 November", "November 2")."""
    if when.year == NO_YEAR:
        return format_skeleton("MMMMd", datetime(2000, when.month, when.day), locale=locale_of(lang))
    return day(when, lang)


def moment(when: datetime, lang: str) -> str:
    """A day and time of day: "July 19, 2026, 8:20 AM", "19 Temmuz 2026 08:20"."""
    found = locale_of(lang)
    joined = str(found.datetime_formats["medium"])
    return joined.replace("{1}", day(when, lang)).replace("{0}", format_time(when, "short", locale=found))
