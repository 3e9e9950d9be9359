"""``sadakat simulate``, ``backfill``, ``replay`` and ``events``: orders and webhook events."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from connector.cli.base import JSON_HELP, SHOP_ID, _config, _echo_json, echo_page, main

URL_HELP = (
    "Where Sadakat is listening (default: SADAKAT_PUBLIC_URL, else the address a running “sadakat run” recorded "
    "in the data directory, else http://127.0.0.1:$PORT)."
)


@main.command(short_help="Send a sandbox store six months of realistic traffic.")
@click.option("--shop", "shop_id", type=SHOP_ID, required=True, help="A sandbox shop's id.")
@click.option("--orders", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--seed", type=int, default=None, help="Make the same traffic again (default: random).")
@click.option("--url", default=None, help=URL_HELP)
@click.option(
    "--wait", type=click.FloatRange(0, 3600), default=60, show_default=True, help="Seconds to wait for workers."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option(
    "--catch-webhooks",
    is_flag=True,
    help="Subscribe a webhook endpoint on this machine for the run and print each signed delivery it gets "
    "(Sadakat must run with SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES=1).",
)
def simulate(
    shop_id: int, orders: int, seed: int | None, url: str | None, wait: float, as_json: bool, catch_webhooks: bool
) -> None:
    """Drive realistic orders, refunds and parcels from a sandbox store through the real receiver, spread
    over the past six months, then say what Sadakat made of them."""
    import random

    from adapters import get_adapter
    from connector.db.storage import storage_for
    from connector.ops import shops
    from connector.ops.simulation import Unreachable
    from connector.ops.simulation import simulate as run_simulation

    config = _config()
    storage = storage_for(config)
    with storage.session() as session:
        shop = shops.shop_in(session, shop_id)
    if shop is None:
        raise click.ClickException(f"there is no shop {shop_id} (see “sadakat shops list”)")
    traffic = getattr(get_adapter(shop.platform), "simulated_traffic", None)
    if traffic is None or not shop.webhook_secret or not shop.carrier_secret:
        raise click.ClickException(f"shop {shop_id} is a real {shop.platform} store; simulate drives sandbox stores")
    base = (url or config.public_url).rstrip("/")
    seed = random.randrange(10**6) if seed is None else seed
    requests_ = traffic(shop.id, shop.webhook_secret, shop.carrier_secret, orders, seed)
    catcher = Catcher(storage, shop.id) if catch_webhooks else None
    try:
        report = run_simulation(storage, shop.id, base, requests_, seed, wait)
    except Unreachable as exc:
        raise click.ClickException(
            f"could not reach Sadakat at {base} ({exc}). Start it with “make run”, or say where it listens: "
            "--url, SADAKAT_PUBLIC_URL or PORT."
        ) from None
    finally:
        if catcher is not None:
            catcher.stop(wait_seconds=min(wait, 10))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for line in report.lines():
            click.echo(line)
    if report.refused():
        raise click.ClickException(f"some requests were not accepted: {dict(report.answers)}")


class Catcher:
    """A webhook endpoint on 127.0.0.1 subscribed to a shop's events while it runs: it checks each delivery's
    signature (Standard Webhooks) and prints it."""

    def __init__(self, storage: Any, shop_id: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from connector.ops.merchants import destinations

        catcher = self
        self.received = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                catcher.show(dict(self.headers.items()), body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.storage, self.shop_id = storage, shop_id
        self.endpoint = destinations.add_webhook(storage, shop_id, url, None, "sadakat simulate", allow_private=True)
        click.echo(f"Catching this shop's webhooks at {url} (secret {self.endpoint.secret})")

    def show(self, headers: dict[str, str], body: bytes) -> None:
        """Print one delivery, its signature checked."""
        import hmac

        from adapters.standard_webhooks import sign

        wanted = {k.lower(): v for k, v in headers.items()}
        expected = sign(
            self.endpoint.secret, wanted.get("webhook-id", ""), int(wanted.get("webhook-timestamp", 0)), body
        )
        matches = hmac.compare_digest(wanted.get("webhook-signature", ""), expected)
        verdict = "signature verified" if matches else "SIGNATURE DOES NOT MATCH"
        event = json.loads(body)
        data = event.get("data") or {}
        who = (data.get("customer") or {}).get("email") or "the shop"
        points = f" {data['points']:+d} points" if isinstance(data.get("points"), int) else ""
        click.echo(f"webhook {wanted.get('webhook-id')}: {event.get('type')} for {who}{points} ({verdict})")
        self.received += 1

    def stop(self, wait_seconds: float) -> None:
        """Wait a little for the last deliveries, then unsubscribe and stop."""
        import time

        from connector.ops.merchants import destinations

        deadline, seen, quiet_since = time.monotonic() + wait_seconds, -1, time.monotonic()
        while time.monotonic() < deadline:  # until two seconds pass with nothing new
            if self.received != seen:
                seen, quiet_since = self.received, time.monotonic()
            elif self.received and time.monotonic() - quiet_since > 2:
                break
            time.sleep(0.2)
        destinations.remove_webhook(self.storage, self.shop_id, self.endpoint.id, "sadakat simulate")
        self.server.shutdown()
        if not self.received:
            click.echo(
                "No webhook arrived: start Sadakat with SADAKAT_ALLOW_PRIVATE_STORE_ADDRESSES=1 so it may call this "
                "machine, and see the shop's webhook deliveries in the admin."
            )
        else:
            click.echo(f"{self.received} signed webhook deliveries received.")


@main.command(short_help="Import a shop's past orders through the settling rules.")
@click.argument("shop_id", type=SHOP_ID)
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

    def progress(summary: Any) -> None:
        click.echo(f"\r{summary.orders} order(s) read", nl=False, err=True)

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
        raise click.ClickException(str(exc)) from None
    click.echo("", err=True)
    click.echo(json.dumps(summary.as_dict() | {"dry_run": dry_run}))


@main.command()
@click.option("--shop", "shop_id", type=SHOP_ID, help="Only this shop's events.")
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
@click.argument("shop_id", type=SHOP_ID)
@click.option("--status", type=click.Choice(["pending", "processed", "ignored", "unmatched", "failed", "discarded"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, None), default=0, show_default=True, help="Skip the newest N.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def events_list(shop_id: int, status: str | None, limit: int, offset: int, as_json: bool) -> None:
    """A shop's events, newest first."""
    from connector.db.storage import storage_for
    from connector.inbox import count_events, recent_events

    with storage_for(_config()).session() as session:
        rows = recent_events(session, shop_id, status, limit, offset)
        total = count_events(session, shop_id, status)
    if as_json:
        _echo_json(rows)
        return
    header = f"{'EVENT':>8}  {'TOPIC':<28} {'STATUS':<10} {'RECEIVED':<32}  ERROR"
    lines = [
        f"{r['id']:>8}  {r['topic']:<28} {r['status']:<10} {r['received_at']:<32}  {r['error'] or ''}" for r in rows
    ]
    echo_page(header, lines, total, offset, "no events")
