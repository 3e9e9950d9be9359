"""A shop's programme as its customers read it: how to earn, the gifts, the tiers and what they give, in the
reader's language."""

from __future__ import annotations

from decimal import Decimal

from connector.language import formats
from connector.language.catalogs import N_, NP_, Words
from connector.programme import GiftRule, ProgrammeSettings, Tier
from connector.rules.points import points_for_purchase

WORDS = Words(
    "customer",
    {
        "earn": NP_(
            "Earn {points} point for every {unit} you spend.", "Earn {points} points for every {unit} you spend."
        ),
        "earn_one": N_("Earn 1 point for every {unit} you spend."),
        "earn_extras": N_("Shipping and tax count too."),
        "redeem": NP_(
            "{points} point = {value} off. You can redeem from {minimum} points.",
            "{points} points = {value} off. You can redeem from {minimum} points.",
        ),
        "example": NP_("An order of {amount} earns {points} point", "An order of {amount} earns {points} points"),
        "example_tier": N_("{tier}: {points}"),
        "first_order": N_("Your first order"),
        "every_nth_order": N_("Every {every} orders"),
        "order_over": N_("An order over {threshold}"),
        "random_over": N_("Now and then, a surprise on an order over {threshold}"),
        "birthday": N_("Your birthday"),
        "delivery_problem": N_("If a delivery goes wrong"),
        "fixed_amount": N_("{value} off"),
        "free_shipping": N_("free shipping"),
        "points": NP_("{value} point", "{value} points"),
        "valid": N_("(a code valid for {days} days)"),
        "tier_from": N_("from {spend} spent in 12 months"),
        "tier_from_calendar_year": N_("from {spend} spent in a calendar year, kept all of the next"),
        "tier_from_lifetime": N_("from {spend} spent in all"),
        "tier_from_points": NP_("from {points} point earned", "from {points} points earned"),
        "tier_everyone": N_("every member, from their first order"),
        "tier_multiplier": N_("{multiplier} times the points on every order"),
        "tier_free_shipping": N_("free shipping once a month"),
        "signup": NP_("Open an account: {points} point.", "Open an account: {points} points."),
        "referral": NP_(
            "Invite a friend: they get {friend} on their first order, you get {points} point.",
            "Invite a friend: they get {friend} on their first order, you get {points} points.",
        ),
        "survey": NP_(
            "Answer our short survey after a delivery: {points} point.",
            "Answer our short survey after a delivery: {points} points.",
        ),
    },
)
EXAMPLE_AMOUNT = Decimal(100)


def _words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def reward(kind: str, value: Decimal, currency: str | None, lang: str) -> str:
    """What a code or gift is worth: "10.00 USD off", "15% off", "free shipping", "200 points"."""
    w = _words(lang)
    if kind == "free_shipping":
        return w["free_shipping"]
    if kind == "percentage":
        return w["fixed_amount"].format(value=formats.share(value, lang))
    if kind == "points":
        return w["points"].format(value=formats.number(int(value), lang))
    return w["fixed_amount"].format(value=formats.money(value, currency, lang))


def gift_line(rule: GiftRule, currency: str | None, lang: str) -> str:
    """One gift rule: "An order over 200.00 USD: 10.00 USD off (a code valid for 30 days)"."""
    w = _words(lang)
    threshold = formats.money(rule.threshold or Decimal(0), currency, lang)
    when = w[rule.rule].format(every=rule.every, threshold=threshold)
    line = f"{when}: {reward(rule.kind, rule.value, currency, lang)}"
    return line if rule.kind == "points" else f"{line} {w['valid'].format(days=rule.days)}"


def tier_perks(
    tier: Tier, currency: str | None, lang: str, period: str = "rolling_12_months", basis: str = "spend"
) -> list[str]:
    """What a tier takes (over the programme's tier ``period``, in spend or points) and gives."""
    w = _words(lang)
    if basis == "points" and tier.min_points:
        perks = [w["tier_from_points"].format(points=formats.number(tier.min_points, lang))]
    elif basis != "points" and tier.min_spend > 0:
        spent = w.get(f"tier_from_{period}", w["tier_from"])
        perks = [spent.format(spend=formats.money(tier.min_spend, currency, lang))]
    else:
        perks = [w["tier_everyone"]]
    if tier.multiplier != 1:
        perks.append(w["tier_multiplier"].format(multiplier=formats.plain(tier.multiplier, lang)))
    if tier.free_shipping_monthly:
        perks.append(w["tier_free_shipping"])
    return perks


def ways_to_earn(programme: ProgrammeSettings, currency: str | None, lang: str) -> list[str]:
    """How points are earned, one sentence each."""
    w = _words(lang)
    lines = [
        w["earn_one" if programme.earn_rate == 1 else "earn"].format(
            points=formats.plain(programme.earn_rate, lang), unit=formats.money(Decimal(1), currency, lang)
        )
        + (f" {w['earn_extras']}" if programme.include_shipping or programme.include_tax else "")
    ]
    if programme.signup_points:
        lines.append(w["signup"].format(points=formats.number(programme.signup_points, lang)))
    if programme.referrals.enabled:
        friend = programme.referrals.friend_reward
        kind = {"amount": "fixed_amount"}.get(friend.kind, friend.kind)
        lines.append(
            w["referral"].format(
                friend=reward(kind, friend.value, currency, lang),
                points=formats.number(programme.referrals.referrer_points, lang),
            )
        )
    if programme.survey.enabled and programme.survey.points:
        lines.append(w["survey"].format(points=formats.number(programme.survey.points, lang)))
    return lines


def redeem_line(programme: ProgrammeSettings, currency: str | None, lang: str) -> str:
    """How points turn into money off."""
    rules = programme.redemption
    return _words(lang)["redeem"].format(
        points=formats.number(rules.points_per_unit, lang),
        value=formats.money(Decimal(1), currency, lang),
        minimum=formats.number(rules.minimum_points, lang),
    )


def example(programme: ProgrammeSettings, amount: Decimal, currency: str | None, lang: str) -> str:
    """What an order of ``amount`` earns, and in each tier that multiplies it."""
    w = _words(lang)
    base = points_for_purchase(amount, programme.earn_rate)
    line = w["example"].format(amount=formats.money(amount, currency, lang), points=formats.number(base, lang))
    tiers = [
        w["example_tier"].format(
            tier=t.name, points=formats.number(points_for_purchase(amount, programme.earn_rate * t.multiplier), lang)
        )
        for t in programme.tiers
        if t.multiplier != 1
    ]
    return f"{line} ({', '.join(tiers)})." if tiers else f"{line}."
