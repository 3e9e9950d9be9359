"""The programme's settings beyond earning and spending: the after-delivery survey, referrals, and
actions other apps report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector.programme.fields import SettingsError, boolean, decimal, integer, no_unknown

ACTION_NAME = re.compile(r"[a-z0-9_-]{1,40}")


@dataclass(frozen=True)
class Survey:
    """The after-delivery NPS survey."""

    enabled: bool = False
    delay_days: int = 7
    """Days after the parcel is delivered (0: as soon as it is)."""
    points: int = 50
    """Points for answering, once per order."""
    question: str | None = None
    """The question in place of "How likely are you to recommend <shop> to a friend?"."""


@dataclass(frozen=True)
class FriendReward:
    """The welcome code a referred friend gets."""

    kind: str = "amount"
    """``amount`` (money off), ``percentage`` or ``free_shipping``."""
    value: Decimal = Decimal(10)
    days: int = 30


@dataclass(frozen=True)
class Referrals:
    """Members bring friends: the friend's welcome code, the referrer's points once the friend's order stays."""

    enabled: bool = False
    friend_reward: FriendReward = field(default_factory=FriendReward)
    referrer_points: int = 500
    hold_days: int = 14
    """Days after the friend's order is paid before the referrer's points are granted (0: at once)."""
    max_claims_per_address_per_week: int = 10


@dataclass(frozen=True)
class Action:
    """Something other apps report (a review, a newsletter sign-up) that earns points, up to a daily cap."""

    name: str
    points: int
    daily_cap: int = 1


def survey_from(raw: Any) -> Survey:
    if raw is None:
        return Survey()
    if not isinstance(raw, dict):
        raise SettingsError("survey must be an object")
    no_unknown(raw, Survey, "survey settings")
    d = Survey()
    question = raw.get("question")
    if question is not None and (not isinstance(question, str) or len(question.strip()) > 200):
        raise SettingsError("survey.question must be text of at most 200 characters")
    return Survey(
        enabled=boolean(raw, "enabled", d.enabled, where="survey."),
        delay_days=integer(raw, "delay_days", d.delay_days, low=0, high=60, where="survey."),
        points=integer(raw, "points", d.points, low=0, high=1_000_000, where="survey."),
        question=(question or "").strip() or None,
    )


def referrals_from(raw: Any) -> Referrals:
    if raw is None:
        return Referrals()
    if not isinstance(raw, dict):
        raise SettingsError("referrals must be an object")
    no_unknown(raw, Referrals, "referral settings")
    d, reward = Referrals(), raw.get("friend_reward") or {}
    if not isinstance(reward, dict):
        raise SettingsError("referrals.friend_reward must be an object")
    no_unknown(reward, FriendReward, "friend reward settings")
    kind = reward.get("kind", "amount")
    if kind not in ("amount", "percentage", "free_shipping"):
        raise SettingsError(
            f"referrals.friend_reward.kind must be amount, percentage or free_shipping, got {kind!r}"[:200]
        )
    where = "referrals.friend_reward."
    value = (
        Decimal(0)
        if kind == "free_shipping"
        else decimal(
            reward,
            "value",
            Decimal(10),
            low=Decimal("0.01"),
            high=Decimal(100 if kind == "percentage" else 100_000),
            where=where,
        )
    )
    return Referrals(
        enabled=boolean(raw, "enabled", d.enabled, where="referrals."),
        friend_reward=FriendReward(
            kind=kind, value=value, days=integer(reward, "days", 30, low=1, high=3650, where=where)
        ),
        referrer_points=integer(raw, "referrer_points", d.referrer_points, low=0, high=1_000_000, where="referrals."),
        hold_days=integer(raw, "hold_days", d.hold_days, low=0, high=365, where="referrals."),
        max_claims_per_address_per_week=integer(
            raw,
            "max_claims_per_address_per_week",
            d.max_claims_per_address_per_week,
            low=1,
            high=10_000,
            where="referrals.",
        ),
    )


def actions_from(raw: Any) -> tuple[Action, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 50:
        raise SettingsError("actions must be a list of at most 50 actions")
    actions = []
    for n, item in enumerate(raw, start=1):
        where = f"actions[{n}]."
        if not isinstance(item, dict):
            raise SettingsError(f"actions[{n}] must be an object")
        no_unknown(item, Action, f"action settings in actions[{n}]")
        name = item.get("name")
        if not isinstance(name, str) or not ACTION_NAME.fullmatch(name):
            raise SettingsError(f"{where}name must be a short word of letters, digits, - or _ (such as review)")
        points = integer(item, "points", None, low=1, high=1_000_000, where=where)
        actions.append(
            Action(name=name, points=points, daily_cap=integer(item, "daily_cap", 1, low=1, high=1000, where=where))
        )
    if len({a.name for a in actions}) != len(actions):
        raise SettingsError("action names must be different")
    return tuple(actions)
