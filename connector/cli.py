"""The ``sadakat`` command line."""

from __future__ import annotations

import json
import logging
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
    from connector.db.crypto import SecretKeyError, secret_key
    from connector.ops.supervisor import run_stack

    try:
        secret_key()
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(run_stack(_config(), host, web_workers))


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from connector.db.storage import migrate as run_migrations

    config = _config()
    run_migrations(config)
    click.echo(f"database is up to date ({config.database_url.split('://', 1)[0]})")


JOB_MODULES = ("jobs.events", "jobs.pushes", "jobs.maintenance", "jobs.sweeper")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for Sadakat's queue (with RQ's scheduler for delayed retries)."""
    import importlib

    from rq import Worker

    from connector.queue.connection import QUEUE_NAME, redis_connection

    for module in JOB_MODULES:
        # Imported once here, every job's work horse (forked per job) has them: else ~0.7 s of CPU per job.
        importlib.import_module(module)
    connection = redis_connection(_config())
    logging.getLogger("rq.worker").addFilter(_one_line_per_job)
    worker = Worker([QUEUE_NAME], connection=connection)
    worker.log_result_lifespan = False
    worker.work(burst=burst, with_scheduler=True)


def _one_line_per_job(record: logging.LogRecord) -> bool:
    """RQ logs a job's start, "Job OK" and its end at INFO: keep only the end ("Successfully completed …")."""
    return not (record.levelno == logging.INFO and record.msg == "Worker %s: %s: %s (%s)")


@main.command()
def scheduler() -> None:
    """Run the cron scheduler: the sweeper every minute, the store check (webhooks, missed orders) hourly,
    tiers recomputed and points expired nightly, birthday codes and tier perks each morning."""
    from rq.cron import CronScheduler

    from connector.queue.connection import QUEUE_NAME, redis_connection
    from jobs.maintenance import check_stores, daily_gifts, expire_points, recompute_tiers
    from jobs.sweeper import sweep

    cron = CronScheduler(connection=redis_connection(_config()))
    cron.register(sweep, QUEUE_NAME, interval=60)
    cron.register(check_stores, QUEUE_NAME, interval=3600)
    cron.register(recompute_tiers, QUEUE_NAME, cron="30 3 * * *")
    cron.register(daily_gifts, QUEUE_NAME, cron="0 9 * * *")
    cron.register(expire_points, QUEUE_NAME, cron="0 4 * * *")
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
        shop = register_shop(storage_for(config), config, platform, address, credentials, webhook_secret, settings)
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
    from connector.db.tables import Shop
    from connector.web.admin.api import shop_json

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


@shops.command("remove")
@click.argument("shop_id", type=int)
@click.option("--yes", is_flag=True, help="Don't ask; for scripts.")
def shops_remove(shop_id: int, yes: bool) -> None:
    """Delete a shop and everything Sadakat holds for it (customers, ledger, events, pushes)."""
    from connector.db.storage import storage_for
    from connector.db.tables import Shop
    from connector.settle.lifecycle import erase_shop

    storage = storage_for(_config())
    with storage.session() as session:
        shop = session.get(Shop, shop_id) if 0 < shop_id < 2**31 else None
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        domain = shop.domain
    if not yes:
        click.confirm(f"Delete shop {shop_id} ({domain}) and all its points history for good?", abort=True)
    with storage.session() as session:
        erase_shop(session, shop_id)
    click.echo(f"shop {shop_id} ({domain}) removed")


@shops.command("rotate-secret")
@click.argument("shop_id", type=int)
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


URL_HELP = (
    "Where Sadakat is listening (default: SADAKAT_PUBLIC_URL, else the address a running `sadakat run` recorded "
    "in the data directory, else http://127.0.0.1:$PORT)."
)


@main.command()
@click.option("--shop", "shop_id", type=int, required=True, help="A sandbox shop's id.")
@click.option("--orders", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--seed", type=int, default=None, help="Make the same traffic again (default: random).")
@click.option("--url", default=None, help=URL_HELP)
@click.option(
    "--wait", type=click.FloatRange(0, 3600), default=60, show_default=True, help="Seconds to wait for workers."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def simulate(shop_id: int, orders: int, seed: int | None, url: str | None, wait: float, as_json: bool) -> None:
    """Drive realistic orders, refunds and parcels from a sandbox store through the real receiver, spread
    over the past six months, then say what Sadakat made of them."""
    import random

    from adapters import get_adapter
    from connector.db.storage import storage_for
    from connector.db.tables import Shop
    from connector.ops.simulation import Unreachable
    from connector.ops.simulation import simulate as run_simulation

    config = _config()
    storage = storage_for(config)
    with storage.session() as session:
        shop = session.get(Shop, shop_id)
    if shop is None:
        raise click.ClickException(f"there is no shop {shop_id} (see `sadakat shops list`)")
    traffic = getattr(get_adapter(shop.platform), "simulated_traffic", None)
    if traffic is None or not shop.webhook_secret or not shop.carrier_secret:
        raise click.ClickException(f"shop {shop_id} is a real {shop.platform} store; simulate drives sandbox stores")
    base = (url or config.public_url).rstrip("/")
    seed = random.randrange(10**6) if seed is None else seed
    requests_ = traffic(shop.id, shop.webhook_secret, shop.carrier_secret, orders, seed)
    try:
        report = run_simulation(storage, shop.id, base, requests_, seed, wait)
    except Unreachable as exc:
        raise click.ClickException(
            f"could not reach Sadakat at {base} ({exc}). Start it with `make run`, or say where it listens: "
            "--url, SADAKAT_PUBLIC_URL or PORT."
        ) from None
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for line in report.lines():
            click.echo(line)
    if set(report.answers) - {200}:
        raise click.ClickException(f"some requests were not accepted: {dict(report.answers)}")


@main.command()
@click.argument("shop_id", type=int)
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--dry-run", is_flag=True, help="Read and total the orders; change nothing.")
def backfill(shop_id: int, since: Any, dry_run: bool) -> None:
    """Import a shop's past orders (placed since --since) through the same path as webhooks."""
    from datetime import UTC

    from adapters.base import StoreError
    from connector.db.storage import storage_for
    from connector.ops.backfill import backfill as run_backfill
    from connector.queue.connection import event_queue, redis_connection

    config = _config()

    def progress(found: list[Any]) -> Any:
        click.echo(f"{len(found)} order event(s) found", err=True)
        with click.progressbar(found, label="backfilling" if not dry_run else "reading", file=sys.stderr) as bar:
            yield from bar

    try:
        summary = run_backfill(
            storage_for(config),
            event_queue(redis_connection(config)),
            config,
            shop_id,
            since.replace(tzinfo=UTC),
            dry_run=dry_run,
            progress=progress,
        )
    except (LookupError, StoreError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    click.echo(json.dumps(summary.as_dict() | {"dry_run": dry_run}))


@main.command()
@click.option("--shop", "shop_id", type=int, help="Only this shop's events.")
@click.option(
    "--event", "event_ids", type=int, multiple=True, help="Re-run this event, whatever its status (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def replay(shop_id: int | None, event_ids: tuple[int, ...], as_json: bool) -> None:
    """Re-run failed events (default) or chosen ones. Safe: what an event already did is not done twice."""
    from connector import inbox
    from connector.db.storage import storage_for
    from connector.queue.connection import event_queue, redis_connection

    config = _config()
    outcome = inbox.replay(
        storage_for(config), event_queue(redis_connection(config)), shop_id, list(event_ids) if event_ids else None
    )
    if as_json:
        _echo_json({"queued": outcome.queued, "refused": {str(k): v for k, v in outcome.refused.items()}})
    else:
        queued = outcome.queued
        click.echo(f"queued {len(queued)} event(s) again" + (f": {', '.join(map(str, queued))}" if queued else ""))
        for reason in outcome.refused.values():
            click.echo(f"not replayed: {reason}", err=True)
    if outcome.refused:
        sys.exit(1)


@main.group()
def events() -> None:
    """The webhook inbox."""


@events.command("list")
@click.argument("shop_id", type=int)
@click.option("--status", type=click.Choice(["pending", "processed", "ignored", "failed", "discarded"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def events_list(shop_id: int, status: str | None, limit: int, as_json: bool) -> None:
    """A shop's events, newest first."""
    from connector.db.storage import storage_for
    from connector.inbox import recent_events

    with storage_for(_config()).session() as session:
        rows = recent_events(session, shop_id, status, limit)
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:>8}  {row['topic']:<28} {row['status']:<10} {row['received_at']}  {row['error'] or ''}")
    if not rows:
        click.echo("no events")


@main.command()
@click.argument("shop_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
def export(shop_id: int, output: str | None) -> None:
    """A shop's whole ledger as CSV (one row per entry, oldest first)."""
    from connector.db.storage import storage_for
    from connector.db.tables import Shop
    from connector.ops.exports import write_ledger_csv

    with storage_for(_config()).session() as session:
        if (session.get(Shop, shop_id) if 0 < shop_id < 2**31 else None) is None:
            raise click.ClickException(f"no shop {shop_id}")
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = write_ledger_csv(session, shop_id, out)
            click.echo(f"{count} ledger entries written to {output}", err=True)
        else:
            write_ledger_csv(session, shop_id, sys.stdout)


@main.command()
@click.option("--no-stores", is_flag=True, help="Skip calling each store's API.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def doctor(no_stores: bool, as_json: bool) -> None:
    """Check configuration, database, Redis, workers, and each shop's credentials and webhooks."""
    from connector.ops.doctor import FAIL, run_checks

    checks = run_checks(_config(), check_stores=not no_stores)
    if as_json:
        _echo_json([c.as_dict() for c in checks])
    else:
        marks = {
            "ok": click.style("ok  ", fg="green"),
            "warn": click.style("warn", fg="yellow"),
            FAIL: click.style("FAIL", fg="red"),
        }
        for check in checks:
            click.echo(f"{marks[check.result]}  {check.name}: {check.detail}")
            if check.fix and check.result != "ok":
                click.echo(f"      fix: {check.fix}")
    failed = sum(1 for c in checks if c.result == FAIL)
    if failed:
        raise click.ClickException(f"{failed} problem(s) to fix")


@main.group()
def codes() -> None:
    """Single-use discount codes for customers."""


@codes.command("issue")
@click.argument("shop_id", type=int)
@click.argument("customer")
@click.option("--amount", help="Money off, in the shop's currency.")
@click.option("--percent", help="Percentage off (1-100).")
@click.option("--free-shipping", is_flag=True, help="Free shipping.")
@click.option("--days", type=int, default=30, show_default=True, help="Days the code stays valid.")
@click.option("--title", default="Sadakat gift", show_default=True)
@click.option("--key", help="Asking again with the same key gives the same code, not a second one.")
def codes_issue(
    shop_id: int,
    customer: str,
    amount: str | None,
    percent: str | None,
    free_shipping: bool,
    days: int,
    title: str,
    key: str | None,
) -> None:
    """Give CUSTOMER (platform id or e-mail) of a shop a code; the store gets it through the outbox."""
    from connector.db.storage import storage_for
    from connector.outbox import pushes
    from connector.queue.connection import event_queue, redis_connection

    chosen = [
        name
        for name, given in (("--amount", amount), ("--percent", percent), ("--free-shipping", free_shipping))
        if given
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --amount, --percent or --free-shipping")
    kind, value = ("fixed_amount", amount) if amount else ("percentage", percent) if percent else ("free_shipping", 0)
    config = _config()
    storage = storage_for(config)
    try:
        issued = pushes.issue_code_for(
            storage, shop_id, customer, kind=kind, value=value, days=days, title=title, key=key
        )
    except (LookupError, pushes.PushRequestError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    pushes.dispatch(storage, event_queue(redis_connection(config)), issued.pushes)
    click.echo(json.dumps({"code": issued.code, "push_id": issued.push_id, "repeated": issued.repeated}))


@main.group("pushes")
def pushes_group() -> None:
    """Calls owed to stores: see them, retry failed ones."""


@pushes_group.command("list")
@click.argument("shop_id", type=int)
@click.option("--status", type=click.Choice(["pending", "running", "done", "failed", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def pushes_list(shop_id: int, status: str | None, as_json: bool) -> None:
    """A shop's pushes, newest first."""
    from connector.db.storage import storage_for
    from connector.outbox import pushes
    from connector.web.admin.api import push_json

    with storage_for(_config()).session() as session:
        rows = [push_json(p) for p in pushes.recent(session, shop_id, status)]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        detail = row["code"] or row["tracking_status"] or row["target"]
        click.echo(f"{row['id']:>6}  {row['kind']:<14} {row['status']:<9} {detail:<24} {row['last_error'] or ''}")
    if not rows:
        click.echo("no pushes")


@pushes_group.command("retry")
@click.argument("shop_id", type=int)
@click.argument("push_id", type=int)
def pushes_retry(shop_id: int, push_id: int) -> None:
    """Try a failed push again."""
    from connector.db.storage import storage_for
    from connector.outbox import pushes
    from connector.queue.connection import event_queue, redis_connection

    config = _config()
    storage = storage_for(config)
    try:
        pushes.retry_failed(storage, shop_id, push_id)
    except (LookupError, pushes.PushRequestError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    pushes.dispatch(storage, event_queue(redis_connection(config)), [(push_id, shop_id)])
    click.echo(f"push {push_id} is pending again")


@shops.command("settings")
@click.argument("shop_id", type=int)
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE", help="Change a setting (repeatable).")
@click.option(
    "--json", "json_changes", metavar="OBJECT", help="Change settings given as JSON, e.g. '{\"tiers\": [...]}'."
)
def shops_settings(shop_id: int, pairs: tuple[str, ...], json_changes: str | None) -> None:
    """Show a shop's programme settings, or change them (all checked before anything is saved)."""
    from connector.db.storage import storage_for
    from connector.db.tables import Shop
    from connector.ops.shops import change_settings
    from connector.programme import ProgrammeSettings, SettingsError

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
        changes[name.strip()] = value.strip()
    storage = storage_for(_config())
    try:
        if changes:
            settings = change_settings(storage, shop_id, changes)
        else:
            with storage.session() as session:
                shop = session.get(Shop, shop_id)
                if shop is None:
                    raise LookupError(f"no shop {shop_id}")
                settings = ProgrammeSettings.from_dict(shop.settings)
    except (LookupError, SettingsError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    _echo_json(settings.to_dict())


@shops.command("customer-api-key")
@click.argument("shop_id", type=int)
def shops_customer_api_key(shop_id: int) -> None:
    """Print the key the store's own site uses for /api/shops/<id>/customers/... (made if missing)."""
    import secrets

    from connector.db.storage import storage_for
    from connector.db.tables import Shop

    with storage_for(_config()).session() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        if not shop.customer_api_key:
            shop.customer_api_key = secrets.token_urlsafe(32)
        click.echo(shop.customer_api_key)


@shops.command("carrier-secret")
@click.argument("shop_id", type=int)
def shops_carrier_secret(shop_id: int) -> None:
    """Print the secret carriers sign tracking updates for this shop with."""
    from connector.db.storage import storage_for
    from connector.db.tables import Shop

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
    from connector.db.customers import find_customer
    from connector.db.storage import storage_for
    from connector.settle import ledger
    from connector.web.admin.api import entry_json

    with storage_for(_config()).session() as session:
        record = find_customer(session, shop_id, customer)
        if record is None:
            raise click.ClickException(f"no customer {customer!r} in shop {shop_id}")
        _echo_json({"points": record.points, "entries": [entry_json(e) for e in ledger.history(session, record.id)]})
