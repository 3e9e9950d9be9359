"""A member's tier set by hand until a date (from Shopify Flow, or a person at the shop), through settling's
front door, so the store hears of it, the member is written to if they went up, and the merchant's tools get
``tier.changed``."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, Shop
from connector.errors import Invalid, NotFound
from connector.ops.merchants import audit
from connector.settle import door, tiers

MAX_REASON = 200


class TierRequestError(Invalid):
    """A tier that can't be set as asked; the message names the field."""


def _until(given: Any) -> date:
    try:
        return date.fromisoformat(str(given)[:10])
    except ValueError:
        raise TierRequestError("until must be a date like 2027-12-31") from None


def set_tier(
    storage: Storage, shop_id: int, member_id: int, tier: Any, until: Any, reason: Any, by: str, source: str | None
) -> tuple[bool, list[tuple[int, int]]]:
    """Put the member in ``tier`` until ``until``. Returns (whether the tier changed, pushes to queue)."""
    if not isinstance(tier, str) or not tier.strip():
        raise TierRequestError("tier is required: the name of one of the programme's tiers")
    when = _until(until)
    why = reason.strip()[:MAX_REASON] if isinstance(reason, str) and reason.strip() else f"set by {by}"

    def act(session: Session, shop: Shop) -> door.Applied[bool]:
        member = session.get(CustomerRecord, member_id, with_for_update=True)
        if member is None or member.shop_id != shop.id:
            raise NotFound("the customer is not a member of the shop's programme")
        try:
            changed = tiers.set_by_hand(session, shop, member, tier.strip(), when, why)
        except tiers.TierError as exc:
            raise TierRequestError(str(exc)) from None
        audit.record(session, shop.id, by, source, "tier.set", f"customer {member.id}", None,
                     {"tier": tier.strip(), "until": when.isoformat(), "reason": why})  # fmt: skip
        return door.Applied(changed)

    with storage.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        outcome = door.settle(session, door.Step(shop, act))
    return outcome.result, outcome.pushes
