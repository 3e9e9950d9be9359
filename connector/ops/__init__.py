"""Running Sadakat: doctor, supervisor, status, backfill, store maintenance, shops, exports, figures.

The entry points (``connector/web``, ``connector/cli``) read and change things only through ops and hold no
SQL of their own. The stored records ops hands them are named here, so they can say what they hold
without reaching into the tables."""

from connector.db.after_delivery import CareItem
from connector.db.tables import CustomerRecord, LedgerEntry, Push, Shop, WebhookEvent

__all__ = ["CareItem", "CustomerRecord", "LedgerEntry", "Push", "Shop", "WebhookEvent"]
