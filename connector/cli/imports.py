"""``sadakat import``: bringing a programme's members over from another loyalty app's export."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connector.cli.base import JSON_HELP, SHOP_ID, _config, _echo_json, main
from connector.language.choice import supported
from connector.ops.imports.formats import PROBLEMS
from connector.web.admin.texts import LANGUAGES, Text

if TYPE_CHECKING:
    from connector.ops.imports.importer import Report

SOURCES = ("smile", "loyaltylion", "yotpo", "joy", "wployalty", "woo-points-rewards", "generic")


@main.command("import", short_help="Bring members, balances, tiers and birthdays over from another app.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--from", "source", required=True, type=click.Choice(SOURCES), help="The app the file was exported from.")
@click.option("--mode", type=click.Choice(("add", "set")), default="add", show_default=True,
              help="add: the file's points go on top of each balance; set: balances become the file's.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@click.option("--tier-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Keep imported tiers until this date, YYYY-MM-DD (default: a year from today).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def import_(shop_id: int, file: Path, source: str, mode: str, dry_run: bool, tier_until: object, as_json: bool) -> None:
    """Import FILE into shop SHOP_ID. Members are matched by the store's customer id, else e-mail; those not
    yet members join. Rows that can't be imported are written, with the reason, to FILE.failed.csv; the rest
    still import. Running the same file again changes nothing, and an interrupted import resumes. Exits 0
    when every row was accepted, 1 when some were refused. docs/switching.md: each source, step by step."""
    from connector.db.storage import storage_for
    from connector.errors import Refused
    from connector.ops.imports.importer import import_file
    from connector.queue.connection import event_queue, redis_connection

    until: date | None = tier_until.date() if tier_until is not None else None  # type: ignore[attr-defined]
    config = _config()
    storage, queue = storage_for(config), event_queue(redis_connection(config))
    size = file.stat().st_size
    with click.progressbar(
        length=size, label="Reading", file=sys.stderr, hidden=as_json or not sys.stderr.isatty()
    ) as bar:
        done = [0]

        def progress(at: int) -> None:
            bar.update(at - done[0])
            done[0] = at

        try:
            report = import_file(storage, shop_id, file, source, mode=mode, dry_run=dry_run, tier_until=until,
                                 progress=progress, queue=queue)  # fmt: skip
        except Refused as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        _echo_json({**report.__dict__, "tiers": dict(report.tiers), "reasons": dict(report.reasons)})
    else:
        for line in summary(report):
            click.echo(line)
    sys.exit(1 if report.refused else 0)


def summary(report: Report, lang: str | None = None) -> list[str]:
    """The report in plain words, in the merchant's language (``SADAKAT_LANG``, else the terminal's)."""
    r, t = report, Text(lang or terminal_language())
    lines = [
        t("import_cli_dry_run") if r.dry_run else t("import_cli_done"),
        f"{t('import_rows')}: {t.number(r.rows)}. {t('import_accepted')}: {t.number(r.accepted)}. "
        f"{t('import_refused')}: {t.number(r.refused)}.",
        f"{t('import_matched')}: {t.number(r.matched)}. {t('import_new')}: {t.number(r.new)}.",
        f"{t('import_points')}: {t.number(r.points)}."
        + ("" if r.dry_run else f" {t('import_moved')}: {t.number(r.moved)}."),
    ]
    if r.already:
        lines.append(f"{t('import_already')}: {t.number(r.already)}.")
    if r.tiers:
        kept = ", ".join(f"{name}: {t.number(n)}" for name, n in sorted(r.tiers.items()))
        lines.append(f"{t('import_tiers')}: {kept}.")
    if r.birthdays:
        lines.append(f"{t('import_birthdays')}: {t.number(r.birthdays)}.")
    if r.referral_codes:
        lines.append(f"{t('import_codes')}: {t.number(r.referral_codes)}.")
    for kind, n in r.reasons.most_common():
        lines.append(f"{t('import_refused')}, {t('import_why_' + PROBLEMS.get(kind, 'other'))}: {t.number(n)}")
    if r.failed_file:
        lines.append(t("import_cli_failed_file", file=r.failed_file))
    return lines


def terminal_language() -> str:
    """The language of the person at the terminal: ``SADAKAT_LANG``, else gettext's own order (``LANGUAGE``,
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), among the admin's languages; else English."""
    for name in ("SADAKAT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if found := supported((os.environ.get(name) or "").split(":")[0].split(".")[0], LANGUAGES):
            return found
    return "en"
