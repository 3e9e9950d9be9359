"""The catalogs are complete and true to their source: every message the code marks is translated in every
language of its domain, with the same placeholders, and none is left in English."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from connector.language.catalogs import CATALOGS, LANGUAGES, SOURCE, Words

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {"N_": None, "NP_": (1, 2)}
SAME_WORD = {("fr", "points"), ("fr", "{value} points"), ("tr", "Segment"), ("tr", "Platform")}
"""Words a language writes exactly as English does (a French "points" is points, a Turkish "Platform" too)."""
NAMES = {"Shopify", "WooCommerce"}


def source_messages(domain: str) -> set[str | tuple[str, str]]:
    with (ROOT / "connector" / "language" / f"{domain}.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else tuple(message) for _, _, message, _, _ in found}


def catalog(domain: str, lang: str):
    with (CATALOGS / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


TRANSLATED = [(domain, lang) for domain, langs in LANGUAGES.items() for lang in langs if lang != SOURCE]


@pytest.mark.parametrize(("domain", "lang"), TRANSLATED)
def test_every_marked_message_is_translated_with_its_placeholders(domain: str, lang: str) -> None:
    wanted = source_messages(domain)
    assert len(wanted) > 30, "the extraction found the marked messages"
    po = catalog(domain, lang)
    held = {m.id for m in po if m.id}
    assert not wanted - held, f"missing from {lang}/{domain}.po (run make catalogs-update): {wanted - held}"
    assert not held - wanted, f"no longer in the code, still in {lang}/{domain}.po: {held - wanted}"
    for message in po:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        source = message.id[1] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple):
            assert len(forms) == po.num_plurals, message.id
        for form in forms:
            assert form.strip(), f"{lang}: no translation for {source!r}"
            assert placeholders(form) == placeholders(source), f"{lang}: {form!r} names other values than {source!r}"


@pytest.mark.parametrize(("domain", "lang"), TRANSLATED)
def test_no_message_is_left_in_english(domain: str, lang: str) -> None:
    for message in catalog(domain, lang):
        if not message.id:
            continue
        source = message.id[1] if isinstance(message.id, tuple) else message.id
        words = re.sub(r"\{\w+\}", "", source)
        if not re.search(r"[A-Za-z]{2,}", words) or (lang, source) in SAME_WORD or source in NAMES:
            continue  # names and numbers only ("{tier}: {points}")
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert source not in forms and message.id[0] not in forms, f"{lang} leaves {source!r} in English"


def test_a_domain_speaks_its_languages_and_picks_plural_forms() -> None:
    words = Words("customer", {"points": catalog_plural()})
    assert set(words) == {"en", "tr", "de", "fr", "es", "ar"} and "it" not in words
    assert words["en"]["points"].format(points=1) == "You have 1 point"
    assert words["en"]["points"].format(points="1,204") == "You have 1,204 points"
    assert words["de"]["points"].format(points=1) == "Sie haben 1 Punkt"
    assert words["de"]["points"].format(points="1.204") == "Sie haben 1.204 Punkte"
    assert words["fr"]["points"].format(points=0) == "Vous avez 0 point"
    assert words["ar"]["points"].format(points=5) == "لديك 5 نقاط"
    assert words["ar"]["points"].format(points=11) == "لديك 11 نقطة"
    assert words["tr"]["points"].format(points=2) == "2 puanınız var"
    with pytest.raises(KeyError):
        Words("admin", {})["de"]


def catalog_plural() -> str:
    from connector.language.catalogs import NP_

    return NP_("You have {points} point", "You have {points} points")
