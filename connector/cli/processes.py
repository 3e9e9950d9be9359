"""``sadakat run``, ``migrate``, ``worker``, ``scheduler`` and ``sweep``: the processes of a deployment."""

from __future__ import annotations

import os
import sys

import click

from connector import logs
from connector.cli.base import _config, main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web server binds to.")
@click.option("--web-workers", default=2, show_default=True, help="gunicorn worker processes.")
def run(host: str, web_workers: int) -> None:
    """Migrate, then run web + worker + scheduler until Ctrl-C."""
    from connector.db.crypto import SecretKeyError, secret_key
    from connector.ops.supervisor import AlreadyRunning, run_stack

    try:
        secret_key()
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        sys.exit(run_stack(_config(), host, web_workers))
    except AlreadyRunning as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from connector.db.storage import migrate as run_migrations

    config = _config()
    run_migrations(config)
    click.echo(f"database is up to date ({config.database_url.split('://', 1)[0]})")


JOB_MODULES = (
    "jobs.events",
    "jobs.outgoing",
    "jobs.upkeep",
    "jobs.sweeper",
    "jobs.after_delivery",
    "jobs.growth",
    "jobs.roll_up",
    "jobs.sign_in",
    "jobs.imports",
)


@main.command(short_help="Run a worker for Sadakat's queue.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for Sadakat's queue (with RQ's scheduler for delayed retries)."""
    import importlib

    from rq import Worker

    from connector.db.storage import storage_for
    from connector.queue.connection import QUEUE_NAME, redis_connection

    for module in JOB_MODULES:
        # Imported once here, every job's work horse (forked per job) has them: else ~0.7 s of CPU per job.
        importlib.import_module(module)
    from connector.outbox.deliveries import BACKGROUND_NICENESS_ENV

    os.environ.setdefault(BACKGROUND_NICENESS_ENV, "10")  # a backlog of deliveries gives way to the web server
    config = _config()
    storage_for(config).warm()  # likewise the engines and table mappings: a horse only opens connections
    connection = redis_connection(config)
    logs.configure("worker")
    worker = Worker([QUEUE_NAME], connection=connection)
    worker.log_result_lifespan = False
    worker.work(burst=burst, with_scheduler=True)


@main.command(short_help="Run the scheduler (the sweeper, hourly and nightly jobs).")
def scheduler() -> None:
    """Run the cron scheduler: the sweeper every minute; hourly the store check (webhooks, missed orders),
    the after-delivery work (surveys, late parcels, care digest), held referral rewards and customers'
    segments; tiers recomputed
    and points expired nightly; birthday codes and tier perks each morning."""
    from rq.cron import CronScheduler

    from connector.queue.connection import QUEUE_NAME, redis_connection
    from jobs.after_delivery import after_delivery
    from jobs.growth import release_referral_rewards
    from jobs.roll_up import roll_up_segments
    from jobs.sweeper import sweep
    from jobs.upkeep import check_stores, daily_gifts, expire_points, recompute_tiers

    logs.configure("scheduler")
    cron = CronScheduler(connection=redis_connection(_config()))
    cron.register(sweep, QUEUE_NAME, interval=60)
    cron.register(check_stores, QUEUE_NAME, interval=3600)
    cron.register(after_delivery, QUEUE_NAME, interval=3600)
    cron.register(release_referral_rewards, QUEUE_NAME, interval=3600)
    cron.register(roll_up_segments, QUEUE_NAME, interval=3600)
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
