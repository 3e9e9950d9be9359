"""``sadakat shops webhooks …`` and ``sadakat shops klaviyo``: where a shop's events go."""

from __future__ import annotations

import click

from connector.cli.base import SHOP_ID, _config, _echo_json
from connector.cli.shops import shops

BY = "command line"


def _storage():  # type: ignore[no-untyped-def]
    from connector.db.storage import storage_for

    return storage_for(_config())


@shops.group("webhooks", short_help="URLs a shop's events are sent to, signed as Standard Webhooks.")
def shops_webhooks() -> None:
    """A shop's webhook endpoints: each gets the events it subscribed to, signed (webhook-id,
    webhook-timestamp, webhook-signature) with its own secret. docs/events.md lists the events."""


@shops_webhooks.command("add", short_help="Send a shop's events to a URL (prints its secret once).")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("url")
@click.option("--events", "types", default=None, help="Event types, comma-separated (default: every type).")
def webhooks_add(shop_id: int, url: str, types: str | None) -> None:
    """Print {"id", "secret"}: verify deliveries with the secret; it is shown this once."""
    from connector.errors import Refused
    from connector.ops.merchants import destinations

    config = _config()
    chosen = [part.strip() for part in types.split(",") if part.strip()] if types is not None else None
    try:
        made = destinations.add_webhook(_storage(), shop_id, url, chosen, BY,
                                        allow_private=config.allow_private_store_addresses, source=BY)  # fmt: skip
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    _echo_json({"id": made.id, "secret": made.secret})


@shops_webhooks.command("list", short_help="List a shop's webhook endpoints.")
@click.argument("shop_id", type=SHOP_ID)
def webhooks_list(shop_id: int) -> None:
    """The shop's endpoints (never their secrets), as JSON."""
    from connector.errors import Refused
    from connector.ops.merchants import destinations

    try:
        _echo_json(destinations.webhooks(_storage(), shop_id))
    except Refused as exc:
        raise click.ClickException(str(exc)) from None


@shops_webhooks.command("remove", short_help="Stop sending a shop's events to an endpoint.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("endpoint_id", type=click.IntRange(1))
def webhooks_remove(shop_id: int, endpoint_id: int) -> None:
    """Remove the endpoint; deliveries still on their way to it are cancelled."""
    from connector.errors import Refused
    from connector.ops.merchants import destinations

    try:
        destinations.remove_webhook(_storage(), shop_id, endpoint_id, BY, BY)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"endpoint {endpoint_id} of shop {shop_id} removed: no more events go there")


@shops.command("klaviyo", short_help="Send a shop's members and events to Klaviyo.")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--key", default=None, help="The Klaviyo private API key (checked with Klaviyo, kept encrypted).")
@click.option("--off", is_flag=True, help="Stop sending to Klaviyo.")
def shops_klaviyo(shop_id: int, key: str | None, off: bool) -> None:
    """Turn Klaviyo on with --key (or the key saved before), or off with --off; prints the state."""
    from connector.errors import Refused
    from connector.ops.merchants import destinations

    try:
        _echo_json(destinations.set_klaviyo(_storage(), shop_id, not off, key, BY, BY))
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
