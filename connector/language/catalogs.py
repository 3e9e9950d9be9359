"""The words of every page, e-mail and note, looked up in gettext catalogs (``catalogs/<lang>/LC_MESSAGES``).

A module keeps its words as ``Words(domain, {"name": N_("English source"), ...})``; ``pybabel extract``
finds the ``N_`` and ``NP_`` markers, translators work on the ``.po`` files, ``make`` compiles them, and
``WORDS[lang]`` is the dictionary in that language, built once per process."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

CATALOGS = Path(__file__).with_name("catalogs")
SOURCE = "en"
LANGUAGES: dict[str, tuple[str, ...]] = {
    "customer": ("en", "tr", "de", "fr", "es", "ar"),
    "admin": ("en", "tr"),
}
NAMES = {"en": "English", "tr": "Türkçe", "de": "Deutsch", "fr": "Français", "es": "Español", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
PLACEHOLDER = re.compile(r"\{(\w+)")


def N_(message: str) -> str:
    """Marks an English source message for the catalogs."""
    return message


def NP_(singular: str, plural: str) -> Plural:
    """Marks an English message with plural forms; its count is its first placeholder."""
    return Plural(plural, singular=singular, plural=plural, translations=NullTranslations())


class Plural(str):
    """A message with plural forms: as text, its "other" form; ``format`` picks the form for the count."""

    singular: str
    plural: str
    translations: NullTranslations

    def __new__(cls, text: str, *, singular: str, plural: str, translations: NullTranslations) -> Plural:
        made = super().__new__(cls, text)
        made.singular, made.plural, made.translations = singular, plural, translations
        return made

    def by_category(self, lang: str) -> dict[str, str]:
        """The forms by CLDR plural category ("one", "few", "other"...), for a script to pick with
        ``Intl.PluralRules``."""
        return {category: self.translations.ngettext(self.singular, self.plural, n) for category, n in _samples(lang)}

    def format(self, *args: object, **values: object) -> str:
        counted = PLACEHOLDER.search(self.plural)
        count = _count(values.get(counted[1])) if counted else 2
        return self.translations.ngettext(self.singular, self.plural, count).format(*args, **values)


def _count(value: object) -> int:
    """The whole number a value stands for, also when already written out ("1.234", "١٢")."""
    if isinstance(value, int):
        return value
    digits = "".join(ch for ch in str(value) if ch.isdigit()) if value is not None else ""
    return int(digits) if digits else 2


@cache
def _samples(lang: str) -> tuple[tuple[str, int], ...]:
    """A number of each plural category of ``lang`` (Arabic: zero 0, one 1, two 2, few 3, many 11, other 100)."""
    rule = Locale.parse(lang).plural_form
    found: dict[str, int] = {}
    for n in (*range(0, 200), 1_000_000):
        found.setdefault(rule(n), n)
    return tuple(found.items())


@cache
def translations(domain: str, lang: str) -> NullTranslations:
    """The compiled catalog of ``domain`` in ``lang`` (read from its ``.po`` when not compiled yet)."""
    if lang == SOURCE:
        return NullTranslations()
    folder = CATALOGS / lang / "LC_MESSAGES"
    compiled, source = folder / f"{domain}.mo", folder / f"{domain}.po"
    if compiled.exists() and (not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime):
        with compiled.open("rb") as handle:
            return Translations(handle, domain=domain)
    if not source.exists():
        return NullTranslations()
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


class Words(Mapping[str, dict[str, str]]):
    """A module's words by language: ``WORDS["de"]["title"]``; only the domain's languages are keys."""

    def __init__(self, domain: str, source: dict[str, str]) -> None:
        self.domain, self.source = domain, source
        self._built: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, lang: str) -> dict[str, str]:
        if lang not in LANGUAGES[self.domain]:
            raise KeyError(lang)
        if (built := self._built.get(lang)) is None:
            with self._lock:
                built = self._built[lang] = self._translate(lang)
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES[self.domain])

    def __len__(self) -> int:
        return len(LANGUAGES[self.domain])

    def __contains__(self, lang: object) -> bool:
        return lang in LANGUAGES[self.domain]

    def _translate(self, lang: str) -> dict[str, str]:
        found = translations(self.domain, lang)
        built: dict[str, str] = {}
        for name, message in self.source.items():
            if isinstance(message, Plural):
                built[name] = Plural(
                    found.ngettext(message.singular, message.plural, 2),
                    singular=message.singular,
                    plural=message.plural,
                    translations=found,
                )
            else:
                built[name] = found.gettext(message)
        return built


def text_direction(lang: str) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"
