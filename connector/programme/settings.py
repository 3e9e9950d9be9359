"""A shop's programme settings: one schema, sensible defaults, and a clear message for every bad value."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from connector.language.catalogs import LANGUAGES
from connector.programme.fields import SettingsError, boolean, choice, decimal, integer, no_unknown
from connector.programme.growth import Action, Referrals, Survey, actions_from, referrals_from, survey_from

LOCALES = LANGUAGES["customer"]
RETURN_SPENT_CHOICES = ("always", "never")
TIER_PERIODS = ("rolling_12_months", "calendar_year", "lifetime")
EXPIRY_MODES = ("inactivity", "per_earning")
TIER_BASES = ("spend", "points")
CURRENCY = re.compile(r"[A-Z]{3}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DISCOUNT_KINDS = ("fixed_amount", "percentage", "free_shipping")
REWARDS = ("discount_code", "store_credit")
STORE_CREDIT = "store_credit"
GIFT_RULES = ("first_order", "every_nth_order", "order_over", "random_over", "birthday", "delivery_problem")


@dataclass(frozen=True)
class Redemption:
    """Turning points into a reward: a discount code, or the customer's native store credit."""

    points_per_unit: int = 100
    """Points for 1.00 off."""
    minimum_points: int = 500
    step_points: int = 100
    reward: str = "discount_code"
    """``discount_code`` or ``store_credit`` (Shopify only)."""
    credit_days: int | None = None
    """Store credit expires this many days after it is given (None: never)."""


@dataclass(frozen=True)
class Tier:
    """A VIP tier, reached by spend (or, with ``tier_basis: points``, points earned) over the tier period."""

    name: str
    min_spend: Decimal
    multiplier: Decimal = Decimal(1)
    free_shipping_monthly: bool = False
    cashback_percent: Decimal = Decimal(0)
    """This share of each paid order's earning amount back as store credit (Shopify only), 0-20."""
    min_points: int | None = None
    """The points earned in the tier period it takes, where tiers are by points."""

    def threshold(self, basis: str) -> Decimal:
        """What it takes: the spend, or the points earned (``basis``: the programme's ``tier_basis``)."""
        return Decimal(self.min_points or 0) if basis == "points" else self.min_spend


@dataclass(frozen=True)
class GiftRule:
    """A surprise code: when it is given, and what it is worth."""

    rule: str
    kind: str = "fixed_amount"
    value: Decimal = Decimal(0)
    days: int = 30
    every: int | None = None
    """For ``every_nth_order``: every this many paid orders."""
    threshold: Decimal | None = None
    """For ``order_over`` and ``random_over``: the order total it takes."""
    chance: Decimal | None = None
    """For ``random_over``: the share of such orders that get one (0-1)."""


@dataclass(frozen=True)
class Emails:
    """Which of Sadakat's own marketing e-mails it sends (a shop that sends them from Klaviyo turns them off)."""

    gift: bool = True
    expiry_warning: bool = True
    tier: bool = True
    survey: bool = True


def _emails(raw: Any) -> Emails:
    if raw is None:
        return Emails()
    if not isinstance(raw, dict):
        raise SettingsError('emails must be an object like {"gift": false}')
    no_unknown(raw, Emails, "emails settings")
    d = Emails()
    return Emails(**{name: boolean(raw, name, getattr(d, name), where="emails.") for name in asdict(d)})


@dataclass(frozen=True)
class ProgrammeSettings:
    """How a shop's programme earns, spends and rewards."""

    earn_rate: Decimal = Decimal(1)
    """Points per 1.00 of merchandise (after discounts), rounded down."""
    include_shipping: bool = False
    include_tax: bool = False
    sync_customers: bool = True
    """Write each member's points and tier into the store's customer record."""
    locale: str = "en"
    """Language of the notes customers get from the store: ``en`` or ``tr``."""
    expiry_months: int | None = None
    """Points expire after this many months without earning or redeeming (None: never)."""
    expiry_warning_days: int = 14
    expiry_mode: str = "inactivity"
    """``inactivity``: the whole balance expires ``expiry_months`` after the last earning or redeeming;
    ``per_earning``: each earning expires ``expiry_months`` after it was earned, the oldest spent first."""
    redemption: Redemption = field(default_factory=Redemption)
    tiers: tuple[Tier, ...] = ()
    tier_period: str = "rolling_12_months"
    """The spend a tier counts: the last 12 months; this calendar year's or last year's, the higher (a tier
    earned this year is kept for the rest of it and all of the next); or everything ever bought."""
    tier_basis: str = "spend"
    """What a tier counts over the period: ``spend``, or ``points`` earned (not lessened by spending them)."""
    tier_grace_days: int = 0
    """A member whose spend no longer reaches their tier keeps it this many days more (0-365), told so."""
    gifts: tuple[GiftRule, ...] = ()
    currency: str | None = None
    """The store's own currency, when the merchant sets it (else as the store reports it)."""
    return_spent_points: str = "always"
    """Whether points spent on a code come back when the order that used it is cancelled or refunded:
    ``always`` (in proportion to a partial refund) or ``never``."""
    survey: Survey = field(default_factory=Survey)
    referrals: Referrals = field(default_factory=Referrals)
    signup_points: int = 0
    """Points for opening a customer account, once per customer."""
    actions: tuple[Action, ...] = ()
    colour: str = "#0f766e"
    """The shop's colour on the rewards page, the launcher and e-mails (``#rrggbb``)."""
    shop_name: str | None = None
    """The shop's name as customers know it (e-mails come from it); None: its domain."""
    sender_email: str | None = None
    """The address customer e-mails come from (None: SADAKAT_MAIL_FROM's address)."""
    reply_to: str | None = None
    """Where customers' replies to those e-mails go (None: the sender)."""
    signup_url: str | None = None
    """Where a visitor opens an account on a site that isn't Shopify (the rewards page and launcher link it)."""
    emails: Emails = field(default_factory=Emails)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ProgrammeSettings:
        """Settings from their stored or submitted form, defaults filling what's missing; SettingsError if invalid."""
        raw = dict(raw or {})
        no_unknown(raw, cls, "settings")
        defaults = cls()
        readers: dict[str, Callable[[], Any]] = {
            "earn_rate": lambda: decimal(raw, "earn_rate", defaults.earn_rate, low=Decimal(0), high=Decimal(1000)),
            "include_shipping": lambda: boolean(raw, "include_shipping", defaults.include_shipping),
            "include_tax": lambda: boolean(raw, "include_tax", defaults.include_tax),
            "sync_customers": lambda: boolean(raw, "sync_customers", defaults.sync_customers),
            "locale": lambda: choice(raw, "locale", LOCALES, defaults.locale),
            "expiry_months": lambda: (
                None
                if raw.get("expiry_months") in (None, "", "off")
                else integer(raw, "expiry_months", None, low=1, high=120)
            ),
            "expiry_warning_days": lambda: integer(
                raw, "expiry_warning_days", defaults.expiry_warning_days, low=1, high=90
            ),
            "expiry_mode": lambda: choice(raw, "expiry_mode", EXPIRY_MODES, defaults.expiry_mode),
            "redemption": lambda: _redemption(raw.get("redemption")),
            "tiers": lambda: _tiers(raw.get("tiers"), "points" if raw.get("tier_basis") == "points" else "spend"),
            "tier_basis": lambda: choice(raw, "tier_basis", TIER_BASES, defaults.tier_basis),
            "tier_period": lambda: choice(raw, "tier_period", TIER_PERIODS, defaults.tier_period),
            "tier_grace_days": lambda: integer(raw, "tier_grace_days", defaults.tier_grace_days, low=0, high=365),
            "gifts": lambda: _gifts(raw.get("gifts")),
            "currency": lambda: _currency(raw.get("currency")),
            "return_spent_points": lambda: choice(
                raw, "return_spent_points", RETURN_SPENT_CHOICES, defaults.return_spent_points
            ),
            "survey": lambda: survey_from(raw.get("survey")),
            "referrals": lambda: referrals_from(raw.get("referrals")),
            "signup_points": lambda: integer(raw, "signup_points", defaults.signup_points, low=0, high=1_000_000),
            "actions": lambda: actions_from(raw.get("actions")),
            "colour": lambda: _colour(raw.get("colour", defaults.colour)),
            "shop_name": lambda: _text(raw.get("shop_name"), "shop_name", 80),
            "sender_email": lambda: _address(raw.get("sender_email"), "sender_email"),
            "reply_to": lambda: _address(raw.get("reply_to"), "reply_to"),
            "signup_url": lambda: _url(raw.get("signup_url"), "signup_url"),
            "emails": lambda: _emails(raw.get("emails")),
        }
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, read in readers.items():  # every bad field is named at once, not just the first
            try:
                values[name] = read()
            except SettingsError as exc:
                problems.append(str(exc))
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form; store credit's fields only where they are used."""
        stored = _plain(asdict(self))
        if stored["redemption"].get("reward") == "discount_code":
            del stored["redemption"]["reward"]
        for tier in stored["tiers"]:
            if Decimal(tier.get("cashback_percent", "0")) == 0:
                tier.pop("cashback_percent", None)
        return stored

    def store_credit_fields(self) -> list[str]:
        """The settings that give store credit (for a platform that has none, each is refused by name)."""
        named = ["redemption.reward"] if self.redemption.reward == STORE_CREDIT else []
        named += [f"tiers[{n}].cashback_percent" for n, t in enumerate(self.tiers, start=1) if t.cashback_percent]
        named += [f"gifts[{n}].kind" for n, g in enumerate(self.gifts, start=1) if g.kind == STORE_CREDIT]
        return named

    def updated(self, changes: dict[str, Any]) -> ProgrammeSettings:
        """These settings with ``changes`` applied (whole values replaced), validated."""
        if not isinstance(changes, dict):
            raise SettingsError("settings must be a JSON object")
        return ProgrammeSettings.from_dict(self.to_dict() | changes)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _currency(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or not CURRENCY.fullmatch(raw.strip().upper()):
        raise SettingsError(f"currency must be a three-letter code such as USD, EUR or TRY, got {raw!r}"[:200])
    return raw.strip().upper()


def _text(raw: Any, name: str, longest: int) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > longest or not raw.strip().isprintable():
        raise SettingsError(f"{name} must be a name of 1 to {longest} characters")
    return raw.strip()


EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


def _address(raw: Any, name: str) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw.strip()) > 254 or not EMAIL.fullmatch(raw.strip()):
        raise SettingsError(f"{name} must be an e-mail address like rewards@your-shop.example, got {raw!r}"[:200])
    return raw.strip()


def _url(raw: Any, name: str) -> str | None:
    if raw in (None, ""):
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if not re.fullmatch(r"https?://[^\s<>\"]{3,500}", text):
        raise SettingsError(f"{name} must be a web address starting with https://, got {raw!r}"[:200])
    return text


def _colour(raw: Any) -> str:
    if not isinstance(raw, str) or not COLOUR.fullmatch(raw):
        raise SettingsError(f"colour must be a colour like #0f766e, got {raw!r}"[:200])
    return raw.lower()


def _redemption(raw: Any) -> Redemption:
    if raw is None:
        return Redemption()
    if not isinstance(raw, dict):
        raise SettingsError("redemption must be an object")
    no_unknown(raw, Redemption, "redemption settings")
    d = Redemption()
    redemption = Redemption(
        points_per_unit=integer(raw, "points_per_unit", d.points_per_unit, low=1, high=1_000_000, where="redemption."),
        minimum_points=integer(raw, "minimum_points", d.minimum_points, low=1, high=10_000_000, where="redemption."),
        step_points=integer(raw, "step_points", d.step_points, low=1, high=10_000_000, where="redemption."),
        reward=choice(raw, "reward", REWARDS, d.reward, where="redemption."),
        credit_days=None
        if raw.get("credit_days") in (None, "", "off")
        else integer(raw, "credit_days", None, low=1, high=3650, where="redemption."),
    )
    if redemption.minimum_points % redemption.step_points:
        raise SettingsError("redemption.minimum_points must be a multiple of redemption.step_points")
    return redemption


def _tiers(raw: Any, basis: str) -> tuple[Tier, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 10:
        raise SettingsError("tiers must be a list of at most 10 tiers")
    tiers = []
    for n, item in enumerate(raw, start=1):
        where = f"tiers[{n}]."
        if not isinstance(item, dict):
            raise SettingsError(f"tiers[{n}] must be an object")
        no_unknown(item, Tier, f"tier settings in tiers[{n}]")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            raise SettingsError(f"{where}name must be a name of 1 to 40 characters")
        least, by_points = (Decimal(0) if basis == "points" else None), basis == "points" or "min_points" in item
        spend = decimal(item, "min_spend", least, low=Decimal(0), high=Decimal("1e12"), where=where)
        multiplier = decimal(item, "multiplier", Decimal(1), low=Decimal(1), high=Decimal(10), where=where)
        shipping = boolean(item, "free_shipping_monthly", False, where=where)
        cashback = decimal(item, "cashback_percent", Decimal(0), low=Decimal(0), high=Decimal(20), where=where,
                           places=2)  # fmt: skip
        points = integer(item, "min_points", None, low=0, high=10**12, where=where) if by_points else None
        tiers.append(Tier(name.strip(), spend, multiplier, shipping, cashback, points))
    names = [t.name.lower() for t in tiers]
    if len(set(names)) != len(names):
        raise SettingsError("tier names must be different")
    spends = [t.threshold(basis) for t in tiers]
    if len(set(spends)) != len(spends):
        raise SettingsError(f"each tier needs its own {'min_points' if basis == 'points' else 'min_spend'}")
    ordered = sorted(range(len(tiers)), key=lambda i: spends[i])
    for lower, higher in itertools.pairwise(ordered):
        if tiers[higher].multiplier < tiers[lower].multiplier:
            raise SettingsError(
                f"tiers[{higher + 1}].multiplier: {tiers[higher].name} asks for more spend than {tiers[lower].name} "
                f"but gives fewer points (x{tiers[higher].multiplier} against x{tiers[lower].multiplier})"
            )
    return tuple(tiers[i] for i in ordered)


def _gifts(raw: Any) -> tuple[GiftRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 20:
        raise SettingsError("gifts must be a list of at most 20 rules")
    gifts = []
    for n, item in enumerate(raw, start=1):
        where = f"gifts[{n}]."
        if not isinstance(item, dict):
            raise SettingsError(f"gifts[{n}] must be an object")
        no_unknown(item, GiftRule, f"gift settings in gifts[{n}]")
        rule, kind = item.get("rule"), item.get("kind", "fixed_amount")
        if rule not in GIFT_RULES:
            raise SettingsError(f"{where}rule must be one of {', '.join(GIFT_RULES)}, got {rule!r}")
        kinds = (*DISCOUNT_KINDS, STORE_CREDIT, "points") if rule == "birthday" else (*DISCOUNT_KINDS, STORE_CREDIT)
        if kind not in kinds:
            raise SettingsError(f"{where}kind must be one of {', '.join(kinds)}, got {kind!r}")
        high = Decimal(100) if kind == "percentage" else Decimal(1_000_000) if kind == "points" else Decimal(100_000)
        value = (
            Decimal(0)
            if kind == "free_shipping"
            else decimal(item, "value", None, low=Decimal("0.01"), high=high, where=where)
        )
        gift = GiftRule(
            rule=rule, kind=kind, value=value, days=integer(item, "days", 30, low=1, high=3650, where=where)
        )
        if rule == "every_nth_order":
            gift = GiftRule(**{**asdict(gift), "every": integer(item, "every", None, low=2, high=1000, where=where)})
        if rule in ("order_over", "random_over"):
            threshold = decimal(item, "threshold", None, low=Decimal(0), high=Decimal("1e12"), where=where)
            gift = GiftRule(**{**asdict(gift), "threshold": threshold})
        if rule == "random_over":
            chance = decimal(item, "chance", None, low=Decimal(0), high=Decimal(1), where=where)
            gift = GiftRule(**{**asdict(gift), "chance": chance})
        gifts.append(gift)
    return tuple(gifts)


def programme_of(shop: Any) -> ProgrammeSettings:
    """A shop's programme, parsed once for as long as its stored settings stay the same object: once per
    event or batch, which loads the shop once (a changed setting is a new object, parsed again)."""
    raw = shop.settings
    cached = shop.__dict__.get(_PARSED)
    if cached is not None and cached[0] is raw:
        return cached[1]  # type: ignore[no-any-return]
    programme = ProgrammeSettings.from_dict(raw)
    shop.__dict__[_PARSED] = (raw, programme)
    return programme


_PARSED = "_sadakat_programme"


def shop_currency(shop: Any) -> str | None:
    """The shop's money: the programme's ``currency`` setting if the merchant set one, else the currency the
    store's first order was in (None until then). The one rule every figure, code and page follows."""
    return programme_of(shop).currency or shop.currency


def currency_confirmed(shop: Any) -> bool:
    """Whether the shop's money is known for sure (set by the merchant, or confirmed by the store)."""
    return bool(programme_of(shop).currency or shop.currency_confirmed)
