"""``sadakat balance``, ``export``, ``expire``, ``codes``, ``pushes`` and ``doctor``: customers, codes and health."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from connector.cli.base import JSON_HELP, SHOP_ID, _config, _echo_json, echo_page, main


@main.command()
@click.argument("shop_id", type=SHOP_ID)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
def export(shop_id: int, output: str | None) -> None:
    """A shop's whole ledger as CSV (one row per entry, oldest first)."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.ops.exports import write_ledger_csv

    with storage_for(_config()).session(read_only=True) as session:  # holds no lock, however long
        if shops.shop_in(session, shop_id) is None:
            raise click.ClickException(f"no shop {shop_id}")
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = write_ledger_csv(session, shop_id, out)
            click.echo(f"{count} ledger entries written to {output}", err=True)
        else:
            write_ledger_csv(session, shop_id, sys.stdout)


@main.command(short_help="Expire inactive balances (and send the warnings) as of a day.")
@click.option("--shop", "shop_id", type=SHOP_ID, required=True, help="The shop's number.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to expire as of, YYYY-MM-DD (default: today), to catch up after downtime.")  # fmt: skip
def expire(shop_id: int, today: object) -> None:
    """Run the nightly points expiry for one shop as of a day: balances past their expiry expire, members
    near it are warned. Running it again for the same day changes nothing."""
    from connector.db.storage import storage_for
    from connector.ops import maintenance, shops
    from connector.queue.connection import event_queue, redis_connection

    config = _config()
    storage = storage_for(config)
    with storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            raise click.ClickException(f"no shop {shop_id}")
        if shop.uninstalled_at is not None:
            raise click.ClickException(f"shop {shop_id} has uninstalled Sadakat: nothing expires there")
    day = today.date() if today is not None else datetime.now(UTC).date()  # type: ignore[attr-defined]
    expired = maintenance.expire_points(storage, event_queue(redis_connection(config)), config, day, [shop_id])
    click.echo(f"As of {day.isoformat()}: {expired:,} balance{'' if expired == 1 else 's'} expired.")


@main.command(short_help="Check the set-up, services, processes and stores.")
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


@codes.command("issue", short_help="Give a customer a single-use code.")
@click.argument("shop_id", type=SHOP_ID)
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
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    except pushes.PushRequestError as exc:
        said = str(exc)
        option = "--days" if said.startswith("days") else "--key" if said.startswith("key") else chosen[0]
        raise click.BadParameter(said.removeprefix("value: "), param_hint=option) from None
    pushes.dispatch(storage, event_queue(redis_connection(config)), issued.pushes)
    click.echo(json.dumps({"code": issued.code, "push_id": issued.push_id, "repeated": issued.repeated}))


@main.group("pushes")
def pushes_group() -> None:
    """Calls owed to stores: see them, retry failed ones."""


@pushes_group.command("list")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--status", type=click.Choice(["pending", "running", "done", "failed", "cancelled"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, None), default=0, show_default=True, help="Skip the newest N.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def pushes_list(shop_id: int, status: str | None, limit: int, offset: int, as_json: bool) -> None:
    """A shop's pushes, newest first."""
    from connector.db.storage import storage_for
    from connector.outbox import pushes
    from connector.web.admin.api import push_json

    with storage_for(_config()).session() as session:
        rows = [push_json(p) for p in pushes.recent(session, shop_id, status, limit, offset)]
        total = pushes.count(session, shop_id, status)
    if as_json:
        _echo_json(rows)
        return
    header = f"{'PUSH':>6}  {'KIND':<14} {'STATUS':<9} {'WHAT':<24} LAST ERROR"
    lines = []
    for row in rows:
        money = f"{row['amount']} {row['currency']}" if row["amount"] else None
        detail = row["code"] or money or row["tracking_status"] or row["target"]
        lines.append(f"{row['id']:>6}  {row['kind']:<14} {row['status']:<9} {detail:<24} {row['last_error'] or ''}")
    echo_page(header, lines, total, offset, "no pushes")


@pushes_group.command("retry")
@click.argument("shop_id", type=SHOP_ID)
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
        raise click.ClickException(str(exc)) from None
    pushes.dispatch(storage, event_queue(redis_connection(config)), [(push_id, shop_id)])
    click.echo(f"push {push_id} is pending again")


@main.command()
@click.argument("shop_id", type=SHOP_ID)
@click.argument("customer")
def balance(shop_id: int, customer: str) -> None:
    """A customer's points (by platform customer id or e-mail)."""
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.outbox import store_credit
    from connector.settle import ledger
    from connector.web.admin.api import entry_json

    with storage_for(_config()).session() as session:
        record = shops.find_member(session, shop_id, customer)
        if record is None:
            raise click.ClickException(f"no customer {customer!r} in shop {shop_id}")
        entries = [entry_json(e) for e in ledger.history(session, record.id)]
        credit = store_credit.summary(session, shop_id, record.id)
        _echo_json(
            {"points": record.points, "entries": entries} | ({"store_credit": credit} if credit["movements"] else {})
        )
