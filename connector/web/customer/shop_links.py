"""Customer-facing links (the rewards page, launcher, referral and unsubscribe links) name a shop by its
random handle, so nobody can count through the shops. Each such route's ``shop_id`` is read here, before
the view: a handle becomes the shop's id; a number still answers for a shop from before handles, by a
redirect to its handle; anything else becomes 0, which every view answers as an unknown shop."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request

from connector.ops import shops
from connector.web.runtime import runtime

UNKNOWN = 0


def read_shop_names(blueprint: Blueprint) -> None:
    """Have ``blueprint``'s routes take the shop in their ``shop_id`` as a handle."""
    blueprint.url_value_preprocessor(_resolve)


def _resolve(endpoint: str | None, values: dict[str, object] | None) -> None:
    if not values or "shop_id" not in values:
        return
    named = shops.shop_named(runtime().storage, str(values["shop_id"]))
    if named is None:
        values["shop_id"] = UNKNOWN
        return
    if named.by_number:  # a link sent before handles: 308 keeps a form's method and body
        path = request.path.replace(f"/{values['shop_id']}", f"/{named.handle}", 1)
        query = request.query_string.decode("latin-1")
        abort(redirect(path + (f"?{query}" if query else ""), 308))
    values["shop_id"] = named.shop_id
