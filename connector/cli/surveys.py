"""``sadakat surveys …``: the after-delivery survey."""

from __future__ import annotations

import click

from connector.cli.base import SHOP_ID, _config, main


@main.group()
def surveys() -> None:
    """The after-delivery NPS survey."""


@surveys.command("send", short_help="Send the surveys that are due now.")
@click.option("--shop", "shop_id", type=SHOP_ID, help="Only this shop (default: every shop with the survey on).")
def surveys_send(shop_id: int | None) -> None:
    """Send every survey that is due now, and print what was sent (and what was passed over, and why)."""
    from connector.db.storage import storage_for
    from connector.ops.after_delivery.surveys import send_due
    from connector.queue.connection import current_queue

    config = _config()
    done = send_due(storage_for(config), current_queue(config), config, shop_id)
    for sent in done:
        if sent.skipped:
            click.echo(f"shop {sent.shop_id}, order {sent.order}: not sent ({sent.skipped})")
        else:
            click.echo(f"shop {sent.shop_id}, order {sent.order}: sent to {sent.to}")
    count = sum(1 for s in done if not s.skipped)
    click.echo(f"{count} survey{'' if count == 1 else 's'} sent." if done else "No survey is due.")
