"""A shop's programme as its customers read it: how to earn, the gifts, the tiers and what they give, in the
shop's language (English and Turkish)."""

from __future__ import annotations

from decimal import Decimal

from connector.outbox.letters import money_words, number_words
from connector.programme import GiftRule, ProgrammeSettings, Tier
from connector.rules.points import points_for_purchase

WORDS = {
    "en": {
        "earn": "Earn {points} points for every {unit} you spend.",
        "earn_one": "Earn 1 point for every {unit} you spend.",
        "earn_extras": "Shipping and tax count too.",
        "redeem": "{points} points = {value} off. You can redeem from {minimum} points.",
        "example": "An order of {amount} earns {points} points",
        "example_tier": "{tier}: {points}",
        "first_order": "Your first order",
        "every_nth_order": "Every {every} orders",
        "order_over": "An order over {threshold}",
        "random_over": "Now and then, a surprise on an order over {threshold}",
        "birthday": "Your birthday",
        "delivery_problem": "If a delivery goes wrong",
        "fixed_amount": "{value} off",
        "percentage": "{value}% off",
        "free_shipping": "free shipping",
        "points": "{value} points",
        "valid": "(a code valid for {days} days)",
        "tier_from": "from {spend} spent in 12 months",
        "tier_from_calendar_year": "from {spend} spent in a calendar year, kept all of the next",
        "tier_from_lifetime": "from {spend} spent in all",
        "tier_from_points": "from {points} points earned",
        "tier_everyone": "every member, from their first order",
        "tier_multiplier": "{multiplier} times the points on every order",
        "tier_free_shipping": "free shipping once a month",
        "signup": "Open an account: {points} points.",
        "referral": "Invite a friend: they get {friend} on their first order, you get {points} points.",
        "survey": "Answer our short survey after a delivery: {points} points.",
    },
    "tr": {
        "earn": "Harcadığınız her {unit} için {points} puan kazanın.",
        "earn_one": "Harcadığınız her {unit} için 1 puan kazanın.",
        "earn_extras": "Kargo ve vergi de sayılır.",
        "redeem": "{points} puan = {value} indirim. {minimum} puandan itibaren kullanabilirsiniz.",
        "example": "{amount} tutarında bir sipariş {points} puan kazandırır",
        "example_tier": "{tier}: {points}",
        "first_order": "İlk siparişiniz",
        "every_nth_order": "Her {every} siparişte bir",
        "order_over": "{threshold} üzerindeki bir sipariş",
        "random_over": "{threshold} üzerindeki siparişlerde ara sıra bir sürpriz",
        "birthday": "Doğum gününüz",
        "delivery_problem": "Bir teslimat ters giderse",
        "fixed_amount": "{value} indirim",
        "percentage": "%{value} indirim",
        "free_shipping": "ücretsiz kargo",
        "points": "{value} puan",
        "valid": "({days} gün geçerli bir kod)",
        "tier_from": "12 ayda {spend} harcamadan itibaren",
        "tier_from_calendar_year": "bir takvim yılında {spend} harcamadan itibaren, sonraki yılın tamamında da korunur",
        "tier_from_lifetime": "toplam {spend} harcamadan itibaren",
        "tier_from_points": "{points} puan kazanımından itibaren",
        "tier_everyone": "ilk siparişten itibaren her üye",
        "tier_multiplier": "her siparişte {multiplier} kat puan",
        "tier_free_shipping": "ayda bir ücretsiz kargo",
        "signup": "Hesap açın: {points} puan.",
        "referral": "Bir arkadaşınızı davet edin: ilk siparişinde {friend}, size {points} puan.",
        "survey": "Teslimattan sonra kısa anketimizi yanıtlayın: {points} puan.",
    },
}
EXAMPLE_AMOUNT = Decimal(100)


def plain(number: Decimal, lang: str = "en") -> str:
    """A number without trailing zeros, as the language writes it: 1.50 → "1.5" ("1,5"), 2.00 → "2"."""
    text = f"{number.normalize():f}"
    return text.replace(".", ",") if lang == "tr" else text


def _words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def reward(kind: str, value: Decimal, currency: str | None, lang: str) -> str:
    """What a code or gift is worth: "10.00 USD off", "15% off", "free shipping", "200 points"."""
    w = _words(lang)
    if kind == "free_shipping":
        return w["free_shipping"]
    if kind == "percentage":
        return w["percentage"].format(value=plain(value, lang))
    if kind == "points":
        return w["points"].format(value=number_words(int(value), lang))
    return w["fixed_amount"].format(value=money_words(value, currency, lang))


def gift_line(rule: GiftRule, currency: str | None, lang: str) -> str:
    """One gift rule: "An order over 200.00 USD: 10.00 USD off (a code valid for 30 days)"."""
    w = _words(lang)
    threshold = money_words(rule.threshold or Decimal(0), currency, lang)
    when = w[rule.rule].format(every=rule.every, threshold=threshold)
    line = f"{when}: {reward(rule.kind, rule.value, currency, lang)}"
    return line if rule.kind == "points" else f"{line} {w['valid'].format(days=rule.days)}"


def tier_perks(
    tier: Tier, currency: str | None, lang: str, period: str = "rolling_12_months", basis: str = "spend"
) -> list[str]:
    """What a tier takes (over the programme's tier ``period``, in spend or points) and gives."""
    w = _words(lang)
    if basis == "points" and tier.min_points:
        perks = [w["tier_from_points"].format(points=number_words(tier.min_points, lang))]
    elif basis != "points" and tier.min_spend > 0:
        spent = w.get(f"tier_from_{period}", w["tier_from"])
        perks = [spent.format(spend=money_words(tier.min_spend, currency, lang))]
    else:
        perks = [w["tier_everyone"]]
    if tier.multiplier != 1:
        perks.append(w["tier_multiplier"].format(multiplier=plain(tier.multiplier, lang)))
    if tier.free_shipping_monthly:
        perks.append(w["tier_free_shipping"])
    return perks


def ways_to_earn(programme: ProgrammeSettings, currency: str | None, lang: str) -> list[str]:
    """How points are earned, one sentence each."""
    w = _words(lang)
    lines = [
        w["earn_one" if programme.earn_rate == 1 else "earn"].format(
            points=plain(programme.earn_rate, lang), unit=money_words(Decimal(1), currency, lang)
        )
        + (f" {w['earn_extras']}" if programme.include_shipping or programme.include_tax else "")
    ]
    if programme.signup_points:
        lines.append(w["signup"].format(points=number_words(programme.signup_points, lang)))
    if programme.referrals.enabled:
        friend = programme.referrals.friend_reward
        kind = {"amount": "fixed_amount"}.get(friend.kind, friend.kind)
        lines.append(
            w["referral"].format(
                friend=reward(kind, friend.value, currency, lang),
                points=number_words(programme.referrals.referrer_points, lang),
            )
        )
    if programme.survey.enabled and programme.survey.points:
        lines.append(w["survey"].format(points=number_words(programme.survey.points, lang)))
    return lines


def redeem_line(programme: ProgrammeSettings, currency: str | None, lang: str) -> str:
    """How points turn into money off."""
    rules = programme.redemption
    return _words(lang)["redeem"].format(
        points=number_words(rules.points_per_unit, lang),
        value=money_words(Decimal(1), currency, lang),
        minimum=number_words(rules.minimum_points, lang),
    )


def example(programme: ProgrammeSettings, amount: Decimal, currency: str | None, lang: str) -> str:
    """What an order of ``amount`` earns, and in each tier that multiplies it."""
    w = _words(lang)
    base = points_for_purchase(amount, programme.earn_rate)
    line = w["example"].format(amount=money_words(amount, currency, lang), points=number_words(base, lang))
    tiers = [
        w["example_tier"].format(
            tier=t.name, points=number_words(points_for_purchase(amount, programme.earn_rate * t.multiplier), lang)
        )
        for t in programme.tiers
        if t.multiplier != 1
    ]
    return f"{line} ({', '.join(tiers)})." if tiers else f"{line}."
