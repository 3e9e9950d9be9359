"""The ``sadakat`` command line, as a merchant runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from connector.config import Config
from connector.db.storage import Storage

SADAKAT = str(Path(sys.executable).parent / "sadakat")


def sadakat(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SADAKAT, *args], capture_output=True, text=True, env=env or os.environ.copy(), timeout=60)


def test_shops_add_shopify_prints_one_json_object(config: Config) -> None:
    result = sadakat(
        "shops", "add", "shopify", "My-Store.myshopify.com", "--access-token", "T", "--webhook-secret", "S"
    )
    assert result.returncode == 0, result.stderr
    shop = json.loads(result.stdout)
    assert shop["platform"] == "shopify"
    assert shop["domain"] == "my-store.myshopify.com"
    assert shop["webhook_url"].endswith("/webhooks/shopify")
    assert isinstance(shop["id"], int)


def test_shops_add_woocommerce_webhook_url_names_the_shop(config: Config) -> None:
    result = sadakat(
        "shops",
        "add",
        "woocommerce",
        "https://woo.example.org",
        "--consumer-key",
        "ck",
        "--consumer-secret",
        "cs",
        "--webhook-secret",
        "S",
    )
    assert result.returncode == 0, result.stderr
    shop = json.loads(result.stdout)
    assert shop["webhook_url"].endswith(f"/webhooks/woocommerce/{shop['id']}")


def test_shopify_webhook_secret_defaults_to_the_app_secret(config: Config) -> None:
    result = sadakat("shops", "add", "shopify", "a.myshopify.com", "--access-token", "T")
    assert result.returncode == 0, result.stderr
    env = os.environ.copy()
    env.pop("SHOPIFY_API_SECRET")
    result = sadakat("shops", "add", "shopify", "b.myshopify.com", "--access-token", "T", env=env)
    assert result.returncode == 1
    assert "SHOPIFY_API_SECRET" in result.stderr


def test_bad_input_gets_a_clear_message_and_changes_nothing(config: Config, storage: Storage) -> None:
    cases = [
        (["shopify", "not-a-shop.com", "--access-token", "T", "--webhook-secret", "S"], "myshopify.com"),
        (["shopify", "x.myshopify.com", "--webhook-secret", "S"], "--access-token"),
        (
            ["woocommerce", "https://w.example", "--consumer-key", "k", "--webhook-secret", "S"],
            "--consumer-secret",
        ),
        (
            ["woocommerce", "https://w.example", "--consumer-key", "k", "--consumer-secret", "c"],
            "webhook secret",
        ),
        (["shopify", "x.myshopify.com", "--access-token", "T", "--earn-rate", "lots"], "earn_rate"),
        (["magento", "x.example"], "magento"),
    ]
    for args, message in cases:
        result = sadakat("shops", "add", *args)
        assert result.returncode != 0
        assert message in result.stderr, (args, result.stderr)
    assert json.loads(sadakat("shops", "list", "--json").stdout) == []


def test_adding_the_same_shop_twice_keeps_the_first(config: Config) -> None:
    first = sadakat("shops", "add", "shopify", "twice.myshopify.com", "--access-token", "T1", "--webhook-secret", "S1")
    again = sadakat("shops", "add", "shopify", "twice.myshopify.com", "--access-token", "T2", "--webhook-secret", "S2")
    assert again.returncode == 1
    assert f"already registered as shop {json.loads(first.stdout)['id']}" in again.stderr
    assert len(json.loads(sadakat("shops", "list", "--json").stdout)) == 1


def test_balance_and_sweep_commands(config: Config) -> None:
    assert "no customer" in sadakat("balance", "1", "nobody@example.com").stderr
    result = sadakat("sweep")
    assert result.returncode == 0
    assert "queued 0" in result.stdout


def test_no_help_line_is_cut_off_in_an_80_column_terminal() -> None:
    """`sadakat --help` cut five commands' descriptions off with "..."."""
    from click.testing import CliRunner

    from connector.cli import main

    for words in ([], ["shops"], ["shops", "carrier"], ["codes"], ["events"], ["surveys"], ["pushes"]):
        said = CliRunner().invoke(main, [*words, "--help"], terminal_width=80).output
        cut = [line for line in said.splitlines()[1:] if line.rstrip().endswith("...")]
        assert cut == [], (words, cut)


def test_a_shop_number_out_of_range_is_refused_naming_the_argument() -> None:
    from click.testing import CliRunner

    from connector.cli import main

    for number in ("0", str(2**31), "abc"):
        said = CliRunner().invoke(main, ["shops", "settings", number])
        assert said.exit_code == 2 and "SHOP_ID" in said.output, said.output


def test_shops_people_and_tokens_from_the_command_line(config: Config, storage: Storage) -> None:
    from connector.ops.shops import register_shop

    shop = register_shop(
        storage, config, "woocommerce", "https://cli.example.org", {"consumer_key": "k", "consumer_secret": "s"}, "w"
    )
    number = str(shop.id)
    added = sadakat("shops", "people", "add", number, "Owner@CLI.example.org", "--role", "owner")
    assert added.returncode == 0, added.stderr
    assert "owner@cli.example.org is now owner" in added.stdout and "/admin/sign-in" in added.stdout
    assert sadakat("shops", "people", "add", number, "sam@cli.example.org", "--role", "support").returncode == 0
    listed = json.loads(sadakat("shops", "people", "list", number).stdout)
    assert [(p["email"], p["role"]) for p in listed] == [
        ("owner@cli.example.org", "owner"),
        ("sam@cli.example.org", "support"),
    ]
    wrong = sadakat("shops", "people", "add", number, "x@cli.example.org", "--role", "boss")
    assert wrong.returncode == 2 and "--role" in wrong.stderr
    last_owner = sadakat("shops", "people", "remove", number, "owner@cli.example.org")
    assert last_owner.returncode == 1 and "at least one owner" in last_owner.stderr
    assert sadakat("shops", "people", "remove", number, "sam@cli.example.org").returncode == 0
    made = sadakat("shops", "tokens", "create", number, "--role", "manager", "--name", "reports")
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)
    assert (token["name"], token["role"]) == ("reports", "manager") and token["token"].startswith("sdk_")
    tokens = json.loads(sadakat("shops", "tokens", "list", number).stdout)
    assert [(t["name"], t["revoked_at"]) for t in tokens] == [("reports", None)] and "token" not in json.dumps(
        tokens
    ).replace('"tokens"', "")
    assert sadakat("shops", "tokens", "revoke", number, "reports").returncode == 0
    assert json.loads(sadakat("shops", "tokens", "list", number).stdout)[0]["revoked_at"] is not None
    unknown = sadakat("shops", "tokens", "revoke", number, "nope")
    assert unknown.returncode == 1 and "no token nope" in unknown.stderr
    trail = json.loads(sadakat("shops", "audit", number).stdout)
    assert [e["action"] for e in trail] == [
        "token.revoked", "token.created", "person.removed", "person.role", "person.role",
    ]  # fmt: skip
    assert {e["actor"] for e in trail} == {"command line"}
    from connector.settle import lifecycle

    lifecycle.erase_shop(storage, shop.id)  # the trail goes with the shop
    assert json.loads(sadakat("shops", "audit", number).stdout) == []


def test_shops_webhooks_and_klaviyo_from_the_command_line(config: Config, storage: Storage) -> None:
    from connector.ops.shops import register_shop

    shop = register_shop(
        storage, config, "woocommerce", "https://hooks.example.org", {"consumer_key": "k", "consumer_secret": "s"}, "w"
    )
    number = str(shop.id)
    added = sadakat(
        "shops", "webhooks", "add", number, "https://hooks.example.org/in", "--events", "tier.changed,points.earned"
    )
    assert added.returncode == 0, added.stderr
    made = json.loads(added.stdout)
    assert made["secret"].startswith("whsec_") and made["id"] > 0
    listed = json.loads(sadakat("shops", "webhooks", "list", number).stdout)
    assert [(w["url"], w["events"]) for w in listed] == [
        ("https://hooks.example.org/in", ["points.earned", "tier.changed"])
    ]
    assert made["secret"] not in json.dumps(listed)
    wrong = sadakat("shops", "webhooks", "add", number, "http://hooks.example.org/in")
    assert wrong.returncode == 1 and "url: the URL must start with https://" in wrong.stderr
    unknown = sadakat("shops", "webhooks", "add", number, "https://hooks.example.org/in", "--events", "points.won")
    assert unknown.returncode == 1 and "events: unknown type 'points.won'" in unknown.stderr
    removed = sadakat("shops", "webhooks", "remove", number, str(made["id"]))
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert json.loads(sadakat("shops", "webhooks", "list", number).stdout) == []
    gone = sadakat("shops", "webhooks", "remove", number, str(made["id"]))
    assert gone.returncode == 1 and f"no endpoint {made['id']}" in gone.stderr
    no_key = sadakat("shops", "klaviyo", number)
    assert no_key.returncode == 1 and "private_api_key is required" in no_key.stderr
    trail = [e["action"] for e in json.loads(sadakat("shops", "audit", number).stdout)]
    assert trail[:2] == ["webhook.removed", "webhook.added"]
