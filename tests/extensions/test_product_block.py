"""The product page's "Points for this product" block, in Liquid alone: rendered with a Liquid engine
(python-liquid, Shopify's filter semantics: ``times`` and ``divided_by`` on whole numbers) for 200 prices
and tiers, it says what settling would give (``connector.rules``), rounding down the same way; and the
programme it reads is what Sadakat publishes to the shop metafield."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import liquid

from connector.outbox.perform import theme_json
from connector.programme import ProgrammeSettings
from connector.rules.points import points_for_purchase

EXTENSION = Path(__file__).resolve().parents[2] / "extensions" / "sadakat-rewards"
SOURCE = (EXTENSION / "blocks" / "product_points.liquid").read_text()
BLOCK = re.sub(r"{%\s*schema\s*%}.*?{%\s*endschema\s*%}", "", SOURCE, flags=re.S)
LOCALES = {lang: json.loads((EXTENSION / "locales" / f"{lang}.json").read_text()) for lang in ("en.default", "tr")}


def render(programme: dict[str, Any], cents: int, tier: str | None, lang: str = "en.default") -> str:
    env = liquid.Environment()

    def translate(key: str, **values: Any) -> str:
        text = LOCALES[lang]
        for part in key.split("."):
            text = text[part]
        return re.sub(r"{{\s*(\w+)\s*}}", lambda m: str(values[m[1]]), text)  # type: ignore[arg-type]

    env.filters["t"] = translate
    customer = {"metafields": {"sadakat": {"tier": {"value": tier}}}} if tier else None
    context = {
        "shop": {"metafields": {"sadakat": {"programme": {"value": programme}}}},
        "product": {"price": cents, "selected_or_first_available_variant": {"price": cents}},
        "customer": customer,
        "block": {"shopify_attributes": ""},
    }
    shown = re.sub(r"<[^>]+>", "", env.from_string(BLOCK).render(**context))  # the words a shopper reads
    return " ".join(shown.split())


def test_the_block_says_what_settling_gives_for_200_prices_and_tiers() -> None:
    chance = random.Random(20261207)
    for _ in range(200):
        rate = Decimal(chance.choice(["1", "0.5", "2", "1.5", "3", "0.25", "1.75", "10"]))
        multiplier = Decimal(chance.choice(["1.25", "1.5", "2", "1.1", "3"]))
        settings = ProgrammeSettings.from_dict(
            {"earn_rate": str(rate), "tiers": [{"name": "Gold", "min_spend": "100", "multiplier": str(multiplier)}]}
        )
        cents = chance.randint(1, 5_000_000)
        price = Decimal(cents) / 100
        shown = render(theme_json(settings, "USD"), cents, "Gold")
        everyone = points_for_purchase(price, rate)
        gold = points_for_purchase(price, rate * multiplier)
        if everyone == 0:
            assert shown == "", (cents, rate)
            continue
        assert shown.startswith(f"Earn {everyone} points"), (shown, cents, rate)
        assert shown.endswith(f"({gold} as Gold)"), (shown, cents, rate, multiplier)


def test_the_block_in_turkish_for_a_visitor_and_nothing_without_a_programme() -> None:
    programme = theme_json(ProgrammeSettings.from_dict({"earn_rate": "1"}), "TRY")
    assert render(programme, 4295, None, "tr") == "42 puan kazanın"
    assert render({}, 4295, None) == ""
