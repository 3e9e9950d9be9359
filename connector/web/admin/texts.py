"""The admin pages' words (English and Turkish, from the catalogs), and how they write numbers, money and times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import has_request_context, request, session
from markupsafe import Markup, escape

from connector.language import formats
from connector.language.catalogs import LANGUAGES as CATALOG_LANGUAGES
from connector.language.catalogs import Words
from connector.web.admin.words import customers_en, en, people_en, programme_en, states_en

LANGUAGES = CATALOG_LANGUAGES["admin"]
NO_VALUE = "\u2013"  # an en dash where there is nothing to show

STRINGS = Words("admin", en.WORDS | programme_en.WORDS | customers_en.WORDS | states_en.WORDS | people_en.WORDS)


def current_language() -> str:
    """The session's choice, else the browser's preference, else English."""
    if not has_request_context():
        return "en"
    chosen = session.get("lang") or request.cookies.get("sadakat_lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


@dataclass(frozen=True)
class Text:
    """The words and formats of one language; call it with a string's name."""

    lang: str

    def __call__(self, key: str, **values: object) -> str:
        template = STRINGS[self.lang].get(key) or STRINGS["en"][key]
        if any(isinstance(value, Markup) for value in values.values()):
            # markup among the values (a <time> from ``ago``) stays markup; the words and other values are escaped
            return Markup(escape(template)).format(**values)
        return template.format(**values) if values else template

    def state(self, group: str, value: str | None) -> str:
        """An inner state's words (``group`` is status, kind, worker or topic); the value itself if unknown."""
        if value is None:
            return NO_VALUE
        key = f"{group}_{value.split('/', 1)[0] if value.startswith('carrier/') else value}"
        return self(key) if key in STRINGS[self.lang] else value

    @property
    def words(self) -> dict[str, str]:
        """Every string of the language, by name."""
        return STRINGS[self.lang]

    @property
    def other(self) -> str:
        """The language to switch to."""
        return "tr" if self.lang == "en" else "en"

    def number(self, value: int | Decimal | None, places: int = 0) -> str:
        """A number with thousands grouped the language's way (1,234.50 / 1.234,50)."""
        return NO_VALUE if value is None else formats.number(value, self.lang, places)

    def money(self, value: Decimal | None, currency: str | None = None) -> str:
        """Money as the language writes it, in its currency when known ("₺1.234,50", "$1,234.50")."""
        return NO_VALUE if value is None else formats.money(Decimal(value), currency, self.lang)

    def percent(self, rate: Decimal | None) -> str:
        """A 0-1 rate as a percentage with one decimal, as the language writes it ("57.9%", "%57,9")."""
        return NO_VALUE if rate is None else formats.percent(Decimal(rate), self.lang)

    def share(self, hundredths: int | Decimal) -> str:
        """A percentage given in hundredths (15 → "15%", "%15")."""
        return formats.share(Decimal(hundredths), self.lang)

    def who(self, by: str) -> str:
        """Who made a change, as recorded ("command line", "admin pages (127.0.0.1)"), in this language."""
        if by == "command line":
            return self("by_command_line")
        if by == "admin API":
            return self("by_admin_api")
        if found := re.fullmatch(r"admin pages \((.*)\)", by):
            return self("by_admin_pages", address=found[1])
        if by == "admin":
            return self("by_admin")
        if by == "admin (API)":
            return self("by_admin_api")
        return by

    def day(self, when: date) -> str:
        """A day as people write it: "19 July 2026" ("19 Temmuz 2026")."""
        return formats.day(when, self.lang)

    def birthday(self, when: date) -> str:
        """A birthday as people write it, without the year when it was given without one."""
        return formats.birthday(when, self.lang)

    def moment(self, when: datetime | str | None) -> str:
        """A moment as people write it, in UTC: "19 July 2026, 08:20" ("19 Temmuz 2026 08:20")."""
        if isinstance(when, str):
            try:
                when = datetime.fromisoformat(when)
            except ValueError:
                return when
        if when is None:
            return NO_VALUE
        when = when.astimezone(UTC) if when.tzinfo else when
        separator = ", " if self.lang == "en" else " "
        return f"{formats.day(when.date(), self.lang)}{separator}{when:%H:%M}"

    def ago(self, when: datetime | None, now: datetime | None = None) -> Markup:
        """A time relative to now ("5 min ago"), the exact UTC time on hover."""
        if when is None:
            return Markup(escape(self("never")))
        now = now or datetime.now(UTC)
        seconds = int((now - when).total_seconds())
        later, seconds = seconds < 0, abs(seconds)
        if seconds < 10:
            words = self("just_now")
        else:
            for size, unit in ((86400, "unit_d"), (3600, "unit_h"), (60, "unit_min"), (1, "unit_s")):
                if seconds >= size:
                    words = self("in" if later else "ago", n=seconds // size, unit=self(unit))
                    break
        exact = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return Markup('<time datetime="{}" title="{}">{}</time>').format(when.isoformat(), exact, words)


def text_for(lang: str | None = None) -> Text:
    """The words for ``lang`` (default: the request's language)."""
    return Text(lang if lang in LANGUAGES else current_language())
