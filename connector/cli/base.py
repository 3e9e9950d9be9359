"""The ``sadakat`` command group, and what its commands share."""

from __future__ import annotations

import json
from typing import Any

import click

from connector.config import Config, ConfigError
from connector.inputs import MAX_SHOP_ID

JSON_HELP = "Print JSON for scripts."
SHOP_ID = click.IntRange(1, MAX_SHOP_ID)
"""A shop's number, parsed once: a bad one is refused naming the argument or option."""


def _config() -> Config:
    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from adapters import use_database
    from connector.db.storage import storage_for

    use_database(lambda: storage_for(config).engine)  # the sandbox store keeps its records there
    return config


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"max_content_width": 120})
@click.version_option(package_name="sadakat", prog_name="sadakat", message="%(prog)s %(version)s")
def main() -> None:
    """Sadakat: a loyalty programme for Shopify and WooCommerce stores."""


def echo_page(header: str, lines: list[str], total: int, offset: int, nothing: str) -> None:
    """A listing with its header row, and a last line saying what is left out."""
    if not lines:
        click.echo(nothing if total == 0 else f"nothing from {offset + 1} on: there are {total}")
        return
    click.echo(header)
    for line in lines:
        click.echo(line)
    shown_to = offset + len(lines)
    more = total - shown_to
    if offset or more:
        tail = f"; {more:,} more (--offset {shown_to})" if more > 0 else ""
        click.echo(f"showing {offset + 1:,}-{shown_to:,} of {total:,}{tail}")
