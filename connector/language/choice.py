"""Which of our languages a reader gets: the first of what we know about them that we speak."""

from __future__ import annotations

from collections.abc import Collection, Iterable


def supported(tag: str | None, languages: Collection[str]) -> str | None:
    """``tag`` ("de", "de-AT", "pt_BR") as one of ``languages``: itself, else its base language; else None."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if tag in languages:
        return tag
    base = tag.split("-", 1)[0]
    return base if base in languages else None


def first_spoken(languages: Collection[str], candidates: Iterable[str | None], default: str = "en") -> str:
    """The first candidate, in order, that we speak (as itself or its base language); else ``default``."""
    for candidate in candidates:
        if found := supported(candidate, languages):
            return found
    return default
