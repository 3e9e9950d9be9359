"""The ``sadakat`` command line."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from sqlalchemy import select

from adapters import platforms
from connector.config import Config, ConfigError

JSON_HELP = "Print JSON for scripts."


def _config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
def main() -> None:
    """Sadakat: a loyalty programme for Shopify and WooCommerce stores."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web server binds to.")
@click.option("--web-workers", default=2, show_default=True, help="gunicorn worker processes.")
def run(host: str, web_workers: int) -> None:
    """Migrate, then run web + worker + scheduler until Ctrl-C."""
    from connector.supervisor import run_stack

    sys.exit(run_stack(_config(), host, web_workers))


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from connector.storage import migrate as run_migrations

    config = _config()
    run_migrations(config)
    click.echo(f"database is up to date ({config.database_url.split('://', 1)[0]})")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for Sadakat's queue (with RQ's scheduler for delayed retries)."""
    from rq import Worker

    from connector.jobqueue import QUEUE_NAME, redis_connection

    connection = redis_connection(_config())
    Worker([QUEUE_NAME], connection=connection).work(burst=burst, with_scheduler=True)


@main.command()
def scheduler() -> None:
    """Run the cron scheduler: the sweeper (inbox events and pushes) every minute."""
    from rq.cron import CronScheduler

    from connector.jobqueue import QUEUE_NAME, redis_connection
    from jobs.sweeper import sweep

    cron = CronScheduler(connection=redis_connection(_config()))
    cron.register(sweep, QUEUE_NAME, interval=60)
    cron.start()


@main.command()
def sweep() -> None:
    """Queue inbox events and pushes that never reached a worker."""
    from jobs.sweeper import sweep as sweep_now

    queued = sweep_now(grace_seconds=0)
    click.echo(f"queued {queued['events']} pending event(s) and {queued['pushes']} pending push(es)")


@main.group()
def shops() -> None:
    """Register and list shops."""


@shops.command("add")
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
def shops_add(
    platform: str,
    address: str,
    access_token: str | None,
    consumer_key: str | None,
    consumer_secret: str | None,
    webhook_secret: str | None,
    earn_rate: str | None,
    settings_pairs: tuple[str, ...],
) -> None:
    """Register a store by hand: PLATFORM and its ADDRESS (shop domain or store URL)."""
    from connector.admin import shop_json
    from connector.shops import ShopError, register_shop
    from connector.storage import storage_for

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
        shop = register_shop(storage_for(config), config, platform, address, credentials, webhook_secret, settings)
    except ShopError as exc:
        raise click.ClickException(str(exc)) from None
    # The carrier secret is shown here, once, for the carriers or tracking service to sign with.
    click.echo(json.dumps(shop_json(shop, config.public_url) | {"carrier_secret": shop.carrier_secret}))


@shops.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def shops_list(as_json: bool) -> None:
    """List registered shops."""
    from connector.admin import shop_json
    from connector.storage import storage_for
    from connector.tables import Shop

    config = _config()
    with storage_for(config).session() as session:
        rows = [shop_json(shop, config.public_url) for shop in session.scalars(select(Shop).order_by(Shop.id))]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['platform']:<12} {row['domain']:<40} {row['webhook_url']}")
    if not rows:
        click.echo("no shops yet: add one with `sadakat shops add`")


@shops.command("rotate-secret")
@click.argument("shop_id", type=int)
@click.option("--webhook-secret", required=True, help="The new secret; the old one keeps working for now.")
def shops_rotate_secret(shop_id: int, webhook_secret: str) -> None:
    """Make a new webhook secret current while the previous one still verifies."""
    from connector.shops import ShopError, rotate_webhook_secret
    from connector.storage import storage_for

    try:
        rotate_webhook_secret(storage_for(_config()), shop_id, webhook_secret)
    except ShopError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"shop {shop_id}: new webhook secret is current; the previous one still verifies")


@shops.command("carrier-secret")
@click.argument("shop_id", type=int)
def shops_carrier_secret(shop_id: int) -> None:
    """Print the secret carriers sign tracking updates for this shop with."""
    from connector.storage import storage_for
    from connector.tables import Shop

    with storage_for(_config()).session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        click.echo(shop.carrier_secret)


@main.command()
@click.argument("shop_id", type=int)
@click.argument("customer")
def balance(shop_id: int, customer: str) -> None:
    """A customer's points (by platform customer id or e-mail)."""
    from connector import ledger
    from connector.admin import entry_json, find_customer
    from connector.storage import storage_for

    with storage_for(_config()).session() as session:
        record = find_customer(session, shop_id, customer)
        if record is None:
            raise click.ClickException(f"no customer {customer!r} in shop {shop_id}")
        _echo_json({"points": record.points, "entries": [entry_json(e) for e in ledger.history(session, record.id)]})
