"""A shop's programme settings: one validated schema (``settings``), its optional parts (``growth``) and the
reading of each field (``fields``)."""

from connector.programme.fields import SettingsError
from connector.programme.growth import Action, FriendReward, Referrals, Survey
from connector.programme.settings import (
    GiftRule,
    ProgrammeSettings,
    Redemption,
    Tier,
    currency_confirmed,
    programme_of,
    shop_currency,
)

__all__ = [
    "Action",
    "FriendReward",
    "GiftRule",
    "ProgrammeSettings",
    "Redemption",
    "Referrals",
    "SettingsError",
    "Survey",
    "Tier",
    "currency_confirmed",
    "programme_of",
    "shop_currency",
]
