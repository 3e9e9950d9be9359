"""``sadakat shops …``: registering stores and their programme settings, keys and secrets."""

from __future__ import annotations

import json
from typing import Any

import click

from adapters import platforms
from connector.cli.base import JSON_HELP, SHOP_ID, _config, _echo_json, main


@main.group()
def shops() -> None:
    """Register and list shops."""


@shops.command("add", short_help="Register a store by hand.")
@click.argument("platform", type=click.Choice(platforms()))
@click.argument("address")
@click.option("--access-token", help="Admin API access token (Shopify).")
@click.option("--consumer-key", help="REST API consumer key (WooCommerce).")
@click.option("--consumer-secret", help="REST API consumer secret (WooCommerce).")
@click.option("--webhook-secret", help="Secret the store signs webhooks with.")
@click.option("--earn-rate", help="Points per 1.00 of merchandise (default 1).")
@click.option(
    "--setting",
    "settings_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A programme setting, e.g. locale=tr or sync_customers=false (repeatable).",
)
@click.option(
    "--scopes",
    metavar="LIST",
    help="The API scopes the access token grants, comma-separated (default: all Sadakat asks for).",
)
def shops_add(
    platform: str,
    address: str,
    access_token: str | None,
    consumer_key: str | None,
    consumer_secret: str | None,
    webhook_secret: str | None,
    earn_rate: str | None,
    settings_pairs: tuple[str, ...],
    scopes: str | None,
) -> None:
    """Register a store by hand: PLATFORM and its ADDRESS (shop domain or store URL)."""
    from connector.db.storage import storage_for
    from connector.ops.shops import ShopError, register_shop
    from connector.web.admin.api import shop_json

    config = _config()
    credentials = {
        "access_token": access_token,
        "consumer_key": consumer_key,
        "consumer_secret": consumer_secret,
    }
    settings: dict[str, str] = {}
    for pair in settings_pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--setting")
        settings[name.strip()] = value.strip()
    if earn_rate is not None:
        settings["earn_rate"] = earn_rate
    try:
        shop = register_shop(
            storage_for(config), config, platform, address, credentials, webhook_secret, settings, scopes
        )
    except ShopError as exc:
        raise click.ClickException(str(exc)) from None
    # Shown here, once: the carrier secret for carriers to sign with, the customer API key for the store's site.
    secrets = {"carrier_secret": shop.carrier_secret, "customer_api_key": shop.customer_api_key}
    click.echo(json.dumps(shop_json(shop, config.public_url) | secrets))


@shops.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def shops_list(as_json: bool) -> None:
    """List registered shops."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.web.admin.api import shop_json

    config = _config()
    with storage_for(config).session() as session:
        rows = [shop_json(shop, config.public_url) for shop in shops.all_shops(session)]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['platform']:<12} {row['domain']:<40} {row['webhook_url']}")
        click.echo(f"      rewards page {row['rewards_url']}  launcher {row['launcher_url']}")
    if not rows:
        click.echo("no shops yet: add one with “sadakat shops add”")


@shops.command("remove", short_help="Delete a shop and everything held for it.")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--yes", is_flag=True, help="Don't ask; for scripts.")
def shops_remove(shop_id: int, yes: bool) -> None:
    """Delete a shop and everything Sadakat holds for it (customers, ledger, events, pushes)."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.settle.lifecycle import erase_shop

    storage = storage_for(_config())
    with storage.session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        domain = shop.domain
    if not yes:
        click.confirm(f"Delete shop {shop_id} ({domain}) and all its points history for good?", abort=True)
    erase_shop(storage, shop_id)
    click.echo(f"shop {shop_id} ({domain}) removed")


@shops.command("rotate-secret", short_help="Make a new webhook secret current.")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--webhook-secret", required=True, help="The new secret; the old one keeps working for now.")
def shops_rotate_secret(shop_id: int, webhook_secret: str) -> None:
    """Make a new webhook secret current while the previous one still verifies."""
    from connector.db.storage import storage_for
    from connector.ops.shops import ShopError, rotate_webhook_secret

    try:
        rotate_webhook_secret(storage_for(_config()), shop_id, webhook_secret)
    except ShopError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"shop {shop_id}: new webhook secret is current; the previous one still verifies")


def _set_value(text: str) -> Any:
    """A ``--set`` value: a JSON list or object (``tiers=[...]``) as JSON, anything else as typed."""
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--set") from None
    return text


@shops.command("settings", short_help="Show or change a shop's programme settings.")
@click.argument("shop_id", type=SHOP_ID)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change a setting (repeatable; lists and objects as JSON).",
)
@click.option(
    "--json", "json_changes", metavar="OBJECT", help="Change settings given as JSON, e.g. '{\"tiers\": [...]}'."
)
def shops_settings(shop_id: int, pairs: tuple[str, ...], json_changes: str | None) -> None:
    """Show a shop's programme settings, or change them (all checked before anything is saved)."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.ops.shops import change_settings
    from connector.programme import SettingsError, programme_of
    from connector.queue.connection import current_queue

    changes: dict[str, Any] = {}
    if json_changes:
        try:
            changes = json.loads(json_changes)
        except (ValueError, RecursionError) as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--json") from None
        if not isinstance(changes, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--json")
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        changes[name.strip()] = _set_value(value.strip())
    storage = storage_for(_config())
    try:
        if changes:
            settings = change_settings(storage, shop_id, changes, queue=current_queue(_config()))
        else:
            with storage.session() as session:
                shop = shops.shop_in(session, shop_id)
                if shop is None:
                    raise LookupError(f"no shop {shop_id}")
                settings = programme_of(shop)
    except (LookupError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    _echo_json(settings.to_dict())


@shops.command("customer-api-key", short_help="Print the key the store's own site signs with.")
@click.argument("shop_id", type=SHOP_ID)
def shops_customer_api_key(shop_id: int) -> None:
    """Print the key the store's own site uses for /api/shops/<id>/customers/... (made if missing)."""
    from connector.db.storage import storage_for
    from connector.ops import shops

    try:
        click.echo(shops.customer_api_key(storage_for(_config()), shop_id))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None


@shops.command("carrier-secret", short_help="Print the secret carriers sign updates with.")
@click.argument("shop_id", type=SHOP_ID)
def shops_carrier_secret(shop_id: int) -> None:
    """Print the secret carriers sign tracking updates for this shop with."""
    from connector.db.storage import storage_for
    from connector.ops import shops

    with storage_for(_config()).session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        click.echo(shop.carrier_secret)


@shops.group("carrier", short_help="Connect tracking services (AfterShip, ...).")
def shops_carrier() -> None:
    """Connect tracking services (AfterShip, EasyPost, Shippo, 17TRACK) that send a shop's parcel news."""


@shops_carrier.command("add", short_help="Connect a tracking service for a shop.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("service", metavar="SERVICE")
@click.option("--secret", help="The webhook secret the service signs with (17TRACK: the API key).")
@click.option("--token", help="Shippo without signing: a token of your choosing, added to the webhook URL.")
def shops_carrier_add(shop_id: int, service: str, secret: str | None, token: str | None) -> None:
    """Connect SERVICE (aftership, easypost, shippo or 17track) for a shop; prints where to send webhooks."""
    from connector.db.storage import storage_for
    from connector.ops.carriers import CarrierSetupError, connect, connections

    config = _config()
    storage = storage_for(config)
    try:
        connect(storage, shop_id, service, secret, token)
    except (LookupError, CarrierSetupError) as exc:
        raise click.ClickException(str(exc)) from None
    with storage.session() as session:
        row = next(row for row in connections(session, shop_id, config.public_url) if row["service"] == service)
    click.echo(json.dumps({"service": service, "webhook_url": row["webhook_url"]}))


@shops_carrier.command("list", short_help="The tracking services and which are connected.")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def shops_carrier_list(shop_id: int, as_json: bool) -> None:
    """The tracking services and whether the shop connected each, with its webhook URL."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.ops.carriers import connections

    config = _config()
    with storage_for(config).session() as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        rows = connections(session, shop_id, config.public_url)
    if as_json:
        _echo_json(rows)
        return
    click.echo(f"{'SERVICE':<10} {'CONNECTED':<10} WEBHOOK URL")
    for row in rows:
        click.echo(f"{row['service']:<10} {'yes' if row['connected'] else 'no':<10} {row['webhook_url']}")
