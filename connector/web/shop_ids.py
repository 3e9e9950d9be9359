"""A shop's number in a URL, parsed once: ``<shop_id:shop_id>`` matches a whole number from 1 to MAX_SHOP_ID
and nothing else, so a route never sees 0, a negative or a number the database can't hold (those are 404s,
as any shop that isn't there)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from connector.inputs import MAX_SHOP_ID


class ShopIdConverter(IntegerConverter):
    """``<shop_id:name>``: a shop's number, 1 to MAX_SHOP_ID."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_SHOP_ID)


MAX_ROW_ID = 2**63 - 1
"""The largest number a stored row's id can have."""


class RowIdConverter(IntegerConverter):
    """``<row_id:name>``: a stored row's number (an event, a push, a care item...), 1 to MAX_ROW_ID."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)
