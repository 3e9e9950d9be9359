"""The ``sadakat`` command group, and what its commands share."""

from __future__ import annotations

import json
from typing import Any

import click

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
