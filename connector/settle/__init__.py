"""Applying events: orders, refunds, shipments, members, the ledger, tiers, gifts, redemption."""
