"""``sadakat shops people …`` and ``sadakat shops tokens …``: who may act on a shop, and its API tokens."""

from __future__ import annotations

from dataclasses import asdict

import click

from connector.cli.base import SHOP_ID, _config, _echo_json
from connector.cli.shops import shops

ROLE = click.Choice(["owner", "manager", "support"])
BY = "command line"


def _storage():  # type: ignore[no-untyped-def]
    from connector.db.storage import storage_for

    return storage_for(_config())


def _refused(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@shops.group("people", short_help="Who may sign in to a shop, and their roles.")
def shops_people() -> None:
    """A shop's people: owner (everything), manager (programme, customers, codes, care, referrals) and support
    (customers to read, small adjustments, care queue). They sign in at /admin/sign-in with their e-mail."""


@shops_people.command("add", short_help="Give an e-mail address a role at a shop.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("email")
@click.option("--role", type=ROLE, required=True, help="owner, manager or support.")
def people_add(shop_id: int, email: str, role: str) -> None:
    """Give EMAIL the role at the shop (someone already there gets the new role)."""
    from connector.errors import Refused
    from connector.ops.merchants import people

    try:
        added = people.add_person(_storage(), shop_id, email, role, BY, "command line")
    except Refused as exc:
        raise _refused(exc) from None
    click.echo(f"{added.email} is now {added.role} of shop {shop_id}: they sign in at /admin/sign-in")


@shops_people.command("list", short_help="List a shop's people.")
@click.argument("shop_id", type=SHOP_ID)
def people_list(shop_id: int) -> None:
    """A shop's people and their roles, as JSON."""
    from connector.ops.merchants import people

    _echo_json([asdict(p) for p in people.people(_storage(), shop_id)])


@shops_people.command("remove", short_help="Take someone off a shop.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("email")
def people_remove(shop_id: int, email: str) -> None:
    """Take EMAIL off the shop; their sessions lose it at once. A shop keeps at least one owner."""
    from connector.errors import Refused
    from connector.ops.merchants import people

    try:
        people.remove_person(_storage(), shop_id, email, BY, "command line")
    except Refused as exc:
        raise _refused(exc) from None
    click.echo(f"{email} can no longer open shop {shop_id}")


@shops.group("tokens", short_help="API tokens that reach one shop.")
def shops_tokens() -> None:
    """A shop's API tokens: each reaches only its shop, with its role. Send as Authorization: Bearer <token>."""


@shops_tokens.command("create", short_help="Make an API token for a shop (shown once).")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--role", type=ROLE, required=True, help="owner, manager or support.")
@click.option("--name", default=None, help="A name to know it by (default: made up).")
def tokens_create(shop_id: int, role: str, name: str | None) -> None:
    """Print {"id", "name", "role", "token"}: the token is shown this once, and stored only as a hash."""
    from connector.errors import Refused
    from connector.ops.merchants import people

    try:
        made = people.create_token(_storage(), shop_id, role, name, BY, "command line")
    except Refused as exc:
        raise _refused(exc) from None
    _echo_json({"id": made.id, "name": made.name, "role": made.role, "token": made.secret})


@shops_tokens.command("list", short_help="List a shop's API tokens.")
@click.argument("shop_id", type=SHOP_ID)
def tokens_list(shop_id: int) -> None:
    """A shop's tokens (never their secrets), newest first, as JSON."""
    from connector.ops.merchants import people

    _echo_json([{k: v for k, v in asdict(t).items() if k != "secret"} for t in people.tokens(_storage(), shop_id)])


@shops_tokens.command("revoke", short_help="Stop an API token working.")
@click.argument("shop_id", type=SHOP_ID)
@click.argument("token")
def tokens_revoke(shop_id: int, token: str) -> None:
    """Revoke TOKEN (its id or name): refused from the next request on."""
    from connector.errors import Refused
    from connector.ops.merchants import people

    try:
        revoked = people.revoke_token(_storage(), shop_id, token, BY, "command line")
    except Refused as exc:
        raise _refused(exc) from None
    click.echo(f"token {revoked.name} of shop {shop_id} no longer works")


@shops.command("audit", short_help="Every change made to a shop, as JSON.")
@click.argument("shop_id", type=SHOP_ID)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="At most this many.")
def shops_audit(shop_id: int, limit: int) -> None:
    """The shop's audit trail, newest first: who, when, from where, what, before and after."""
    from connector.ops.merchants import audit

    _echo_json(audit.entries(_storage(), shop_id, limit))
