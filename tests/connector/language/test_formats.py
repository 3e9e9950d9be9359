"""Money, numbers and dates as each reader writes them (CLDR through Babel), and formatting that never fails:
any amount in any currency Shopify supports, in every customer language, reads back to the same amount."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.numbers import get_currency_precision, get_currency_symbol, parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.language import formats
from connector.language.catalogs import LANGUAGES
from connector.model import NO_YEAR

SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "shopify" / "admin-2026-01.graphql"
SHOPIFY_CURRENCIES = sorted(
    code
    for code in re.search(r"enum CurrencyCode \{(.*?)\n\}", SCHEMA.read_text(), re.S)[1].split()  # type: ignore[index]
    if re.fullmatch(r"[A-Z]{3}", code) and code != "XXX"
)
MARKS = "\u200e\u200f\u061c\u00a0\u202f "


def test_shopifys_currency_list_is_read_from_its_schema() -> None:
    assert len(SHOPIFY_CURRENCIES) > 100 and {"USD", "EUR", "TRY", "JPY", "KWD", "SAR"} <= set(SHOPIFY_CURRENCIES)


def test_money_is_written_as_each_reader_writes_it() -> None:
    amount = Decimal("1234.56")
    assert formats.money(amount, "TRY", "tr") == "₺1.234,56"
    assert formats.money(amount, "EUR", "de") == "1.234,56\u00a0€"
    assert formats.money(amount, "EUR", "fr") == "1\u202f234,56\u00a0€"
    assert formats.money(amount, "USD", "en") == "$1,234.56"
    assert formats.money(amount, "EUR", "es") == "1.234,56\u00a0€"
    assert formats.money(Decimal(1500), "JPY", "en") == "¥1,500", "no cents where the currency has none"
    assert formats.money(amount, None, "de") == "1.234,56"
    assert formats.number(1234567, "fr") == "1\u202f234\u202f567"
    assert formats.percent(Decimal("0.579"), "tr") == "%57,9"
    assert formats.share(Decimal(15), "fr") == "15\u00a0%"


def test_dates_are_in_each_languages_long_form() -> None:
    day = date(2026, 7, 19)
    assert [formats.day(day, lang) for lang in LANGUAGES["customer"]] == [
        "July 19, 2026",
        "19 Temmuz 2026",
        "19. Juli 2026",
        "19 juillet 2026",
        "19 de julio de 2026",
        "19 يوليو 2026",
    ]
    assert formats.birthday(date(NO_YEAR, 11, 2), "de") == "2. November", "a birthday given without a year"
    assert formats.birthday(date(1990, 5, 17), "tr") == "17 Mayıs 1990"


@settings(max_examples=400, deadline=None)
@given(
    amount=st.decimals(min_value=Decimal("-100000000"), max_value=Decimal("100000000"), places=4),
    currency=st.sampled_from(SHOPIFY_CURRENCIES),
    lang=st.sampled_from(LANGUAGES["customer"]),
)
def test_any_amount_in_any_shopify_currency_reads_back(amount: Decimal, currency: str, lang: str) -> None:
    written = formats.money(amount, currency, lang)
    assert written and "None" not in written
    symbol = get_currency_symbol(currency, locale=formats.locale_of(lang))
    number = written.replace(symbol, "").replace(currency, "")
    number = "".join(ch for ch in number if ch not in MARKS)
    read = parse_decimal(number, locale=formats.locale_of(lang), strict=False, numbering_system="default")
    places = get_currency_precision(currency)
    assert read == amount.quantize(Decimal(1).scaleb(-places)), (written, read)
