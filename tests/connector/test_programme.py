"""Programme settings: one schema, defaults, clear reasons, nothing saved when anything is wrong."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis

from connector.cli import main
from connector.db.tables import Shop
from connector.programme import ProgrammeSettings, SettingsError
from tests.support import AUTH, customer_json, drain, fixture, paid_shopify_order, post_shopify, post_woo

TIERS = [
    {"name": "Gold", "min_spend": "1000", "multiplier": "2", "free_shipping_monthly": True},
    {"name": "Silver", "min_spend": "250", "multiplier": "1.5"},
    {"name": "Bronze", "min_spend": "0"},
]
GIFTS = [
    {"rule": "first_order", "kind": "percentage", "value": 10},
    {"rule": "every_nth_order", "every": 5, "value": "5.00"},
    {"rule": "random_over", "threshold": "100", "chance": "0.1", "kind": "free_shipping"},
]


def test_defaults_are_sensible() -> None:
    settings = ProgrammeSettings.from_dict(None)
    assert (settings.earn_rate, settings.include_shipping, settings.include_tax, settings.locale) == (
        Decimal(1),
        False,
        False,
        "en",
    )
    assert (settings.redemption.points_per_unit, settings.redemption.minimum_points) == (100, 500)
    assert settings.tiers == () and settings.gifts == ()


def test_tiers_and_gifts_round_trip_sorted_by_spend() -> None:
    settings = ProgrammeSettings.from_dict({"tiers": TIERS, "gifts": GIFTS})
    assert [t.name for t in settings.tiers] == ["Bronze", "Silver", "Gold"]
    assert settings.gifts[1].every == 5 and settings.gifts[2].chance == Decimal("0.1")
    assert ProgrammeSettings.from_dict(settings.to_dict()) == settings


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"earn_rate": "-1"}, "earn_rate must be between 0 and 1000"),
        ({"earn_rate": "many"}, "earn_rate must be a number"),
        ({"include_tax": "perhaps"}, "include_tax must be true or false"),
        ({"locale": "it"}, "locale must be one of en, tr, de, fr, es, ar"),
        ({"colour": "blue"}, "colour must be a colour like #0f766e, got 'blue'"),
        ({"flavour": "blue"}, "unknown settings: flavour"),
        ({"redemption": {"minimum_points": 550, "step_points": 100}}, "multiple of redemption.step_points"),
        ({"redemption": {"points_per_unit": 0}}, "redemption.points_per_unit must be between"),
        (
            {"tiers": [{"name": "Gold", "min_spend": "10"}, {"name": "gold", "min_spend": "20"}]},
            "tier names must be different",
        ),
        (
            {"tiers": [{"name": "Gold", "min_spend": "10", "multiplier": "50"}]},
            "tiers[1].multiplier must be between 1 and 10",
        ),
        ({"tiers": [{"min_spend": "10"}]}, "tiers[1].name"),
        ({"gifts": [{"rule": "lottery"}]}, "gifts[1].rule must be one of"),
        ({"gifts": [{"rule": "every_nth_order", "value": 5}]}, "gifts[1].every must be a whole number"),
        ({"gifts": [{"rule": "first_order", "kind": "percentage", "value": 150}]}, "gifts[1].value must be between"),
        ({"gifts": [{"rule": "random_over", "threshold": 50, "value": 5, "chance": 2}]}, "gifts[1].chance"),
    ],
)
def test_bad_values_say_what_is_wrong(raw: dict, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        ProgrammeSettings.from_dict(raw)


def test_admin_changes_settings_and_a_bad_value_changes_nothing(client: FlaskClient, woo_shop: Shop) -> None:
    url = f"/admin/api/shops/{woo_shop.id}/settings"
    saved = client.put(url, json={"earn_rate": "2", "tiers": TIERS}, headers=AUTH)
    assert saved.status_code == 200 and saved.get_json()["earn_rate"] == "2"
    refused = client.put(url, json={"earn_rate": "3", "locale": "xx"}, headers=AUTH)
    assert refused.status_code == 400 and "locale" in refused.get_json()["error"]
    current = client.get(url, headers=AUTH).get_json()
    assert current["earn_rate"] == "2" and [t["name"] for t in current["tiers"]] == ["Bronze", "Silver", "Gold"]
    assert client.put(url, data="nope", headers=AUTH).status_code == 400
    assert client.put("/admin/api/shops/999/settings", json={}, headers=AUTH).status_code == 404
    assert client.put(url, json={"earn_rate": "5"}).status_code == 401


def test_including_shipping_and_tax_earns_on_them(client: FlaskClient, woo_shop: Shop, redis: Redis) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["shops", "settings", str(woo_shop.id), "--set", "include_shipping=true", "--set", "include_tax=yes"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["include_shipping"] is True
    post_woo(client, woo_shop, "order.created", fixture("woocommerce/order_created.json"))
    drain(redis)
    view = customer_json(client, woo_shop, "john.doe@example.com")
    assert view["points"] == 29  # 18.00 goods + 10.00 shipping + 1.35 tax
    assert view["entries"][0]["amount"] == "29.35"
    bad = runner.invoke(main, ["shops", "settings", str(woo_shop.id), "--set", "earn_rate=lots"])
    assert bad.exit_code == 1 and "earn_rate must be a number" in bad.output


def test_shopify_shipping_counts_only_when_included(
    client: FlaskClient, offline_shopify_shop: Shop, redis: Redis
) -> None:
    CliRunner().invoke(
        main, ["shops", "settings", str(offline_shopify_shop.id), "--json", '{"include_shipping": true}']
    )
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    assert customer_json(client, offline_shopify_shop, "115310627314723954")["points"] == 414  # 404.95 + 10.00


def test_a_shops_programme_is_parsed_once_while_its_settings_stay_the_same() -> None:
    from types import SimpleNamespace

    from connector.programme import programme_of

    shop = SimpleNamespace(settings={"earn_rate": "2"})
    first = programme_of(shop)
    assert programme_of(shop) is first, "the same settings object: parsed once"
    shop.settings = {"earn_rate": "3"}  # a changed setting is a new object
    assert programme_of(shop).earn_rate == 3


def test_set_takes_json_lists_and_objects_as_json(woo_shop: Shop) -> None:
    tiers = '[{"name": "Bronze", "min_spend": "0"}, {"name": "Silver", "min_spend": "750"}, ' \
        '{"name": "Gold", "min_spend": "2000"}, {"name": "Platin", "min_spend": "5000"}]'  # fmt: skip
    runner = CliRunner()
    done = runner.invoke(main, ["shops", "settings", str(woo_shop.id), "--set", f"tiers={tiers}"])
    assert done.exit_code == 0, done.output
    assert [t["name"] for t in json.loads(done.output)["tiers"]] == ["Bronze", "Silver", "Gold", "Platin"]
    bad = runner.invoke(main, ["shops", "settings", str(woo_shop.id), "--set", "tiers=[{oops"])
    assert bad.exit_code == 2 and "--set" in bad.output and "not JSON" in bad.output


def test_a_higher_tier_that_gives_fewer_points_is_refused_at_its_field() -> None:
    tiers = [{"name": "Silver", "min_spend": "750", "multiplier": "1.25"},
             {"name": "Platin", "min_spend": "500", "multiplier": "2"}]  # fmt: skip
    with pytest.raises(SettingsError) as refused:
        ProgrammeSettings.from_dict({"tiers": tiers})
    assert str(refused.value).startswith("tiers[1].multiplier: Silver asks for more spend than Platin")
