"""The words of the rewards page and the launcher, and the language each visitor reads them in."""

from __future__ import annotations

from flask import Response, after_this_request, request

from connector.language.catalogs import N_, NAMES, NP_, Words
from connector.language.choice import first_spoken

WORDS = Words(
    "customer",
    {
        "title": N_("Rewards"),
        "hello": N_("Hello {name}"),
        "hello_nameless": N_("Hello"),
        "balance": N_("Your points"),
        "points_unit": N_("points"),
        "tier": N_("Your tier: {tier}"),
        "tier_kept": N_("Yours until {day}"),
        "expiring": NP_("{points} point expires on {day}", "{points} points expire on {day}"),
        "no_tier": N_("You are not in a tier yet."),
        "redeem_title": N_("Redeem your points"),
        "redeem_button": NP_("Redeem {points} point for {value} off", "Redeem {points} points for {value} off"),
        "redeem_none": NP_(
            "Keep earning: you can redeem from {minimum} point.", "Keep earning: you can redeem from {minimum} points."
        ),
        "code_title": N_("Your code"),
        "code_made": N_("Use this code at checkout (once). We have e-mailed it to you too."),
        "copy_button": N_("Copy"),
        "copied": N_("Copied"),
        "codes_title": N_("Your codes"),
        "code_gift": N_("Gift"),
        "code_goodwill": N_("From the shop"),
        "code_welcome": N_("Welcome gift"),
        "code_redemption": N_("Points redeemed"),
        "code_until": N_("valid until {day}"),
        "code_used": N_("Used"),
        "code_expired": N_("Expired"),
        "code_open": N_("Ready to use"),
        "history_title": N_("Your history"),
        "history_none": N_("Nothing yet: your first order will show here."),
        "earn_title": N_("How to earn"),
        "gifts_title": N_("Surprises and gifts"),
        "tiers_title": N_("Tiers"),
        "tier_current": N_("your tier"),
        "calc_label": N_("Order amount"),
        "calc_button": N_("Show the points"),
        "birthday_title": N_("Your birthday"),
        "birthday_help": N_("Tell us once and get a treat every year."),
        "birthday_label": N_("Date of birth"),
        "birthday_button": N_("Save my birthday"),
        "birthday_set": N_("We have your birthday: {day}."),
        "birthday_saved": N_("Thank you: your birthday is saved."),
        "birthday_bad": N_("Please give a real date of birth."),
        "birthday_again": N_("Your birthday was already saved and can't be changed here."),
        "referral_title": N_("Invite friends"),
        "referral_help": N_(
            "Share your link: your friend gets a welcome code, and you get points once their order is kept."
        ),
        "referral_counts": N_("Friends invited: {claimed}. Rewards earned: {granted}. Waiting: {held}."),
        "join_title": N_("Join our rewards programme"),
        "join_new": N_("New here? Every order earns points once you have an account."),
        "join_hosted": N_(
            "Already a customer? Enter your e-mail address and we'll send you a link to see your points."
        ),
        "email_label": N_("Your e-mail address"),
        "send_link": N_("Send me a link"),
        "link_sent": N_(
            "If you are a member, a link to your rewards is on its way to {email}. It works once, for 15 minutes."
        ),
        "email_bad": N_("Please give a valid e-mail address."),
        "too_many": N_("Too many tries for now. Please wait an hour and try again."),
        "form_expired": N_("This form has expired. Please try again."),
        "link_bad": N_(
            "This sign-in link doesn't work any more: it was used already, or is more than 15 minutes old. "
            "Ask for a new one below."
        ),
        "enter_title": N_("Sign in to your rewards"),
        "enter_button": N_("Continue to my rewards"),
        "sign_out": N_("Sign out"),
        "signed_out": N_("You are signed out."),
        "join_shopify": N_("Log in to your account to see your points and redeem them."),
        "log_in": N_("Log in"),
        "create_account": N_("Create an account"),
        "new_member": N_("Your first order starts your points."),
        "redeem_failed": N_("That amount can't be redeemed now. Please choose one of the options shown."),
        "progress_label": N_("Progress to the next tier"),
        "confirm_title": N_("Redeem your points?"),
        "confirm": NP_("Spend {points} point for {value}?", "Spend {points} points for {value}?"),
        "confirm_yes": N_("Yes, redeem"),
        "confirm_no": N_("Cancel"),
        "credit_added": N_("{amount} added to your store credit. Sign in at checkout and it comes off your order."),
        "credit_fallback": N_("Store credit isn't available in this shop yet, so your points are a code instead."),
        "credits_title": N_("Your store credit"),
        "credit_given": N_("Store credit: {amount}"),
        "credit_taken": N_("Store credit taken back: {amount}"),
        "busy": N_("This is not possible right now. Please try again in a moment."),
        "language": N_("Language"),
        "launcher_see": N_("See my rewards"),
        "launcher_close": N_("Close"),
        "launcher_points": NP_("You have {points} point", "You have {points} points"),
        "launcher_join": N_("Join now"),
        "share": N_("Share your link"),
        "share_text": N_("A welcome gift for you at {shop}:"),
        "share_email": N_("E-mail"),
    },
)


LANGUAGE_COOKIE = "sadakat_reader_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def visitor_language(shop_locale: str, member_locale: str | None = None, *, remember: bool = True) -> str:
    """The page's language, in this order: what the visitor chose on our pages (``?lang=``, remembered in a
    cookie after; a form answers in the language it was shown in), the language the store knows the member
    in, their browser's, the shop's; else English. ``remember``: False for an answer to a script, which sets
    no cookie."""
    chosen = request.args.get("lang")
    if chosen in WORDS and remember:
        after_this_request(lambda response: _remember(response, str(chosen)))
    shown = request.form.get("lang") if request.method == "POST" else None
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    browser = request.accept_languages.best_match(list(WORDS)) if request.accept_languages else None
    return first_spoken(WORDS, (chosen, shown, remembered, member_locale, browser, shop_locale))


def _remember(response: Response, lang: str) -> Response:
    if request.cookies.get(LANGUAGE_COOKIE) != lang:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="Lax",
            secure=request.is_secure,
        )  # fmt: skip
    return response


def language_links(page: str, lang: str) -> list[dict[str, str | bool]]:
    """The language switcher: each language in its own name, linking to ``page`` in it."""
    glue = "&" if "?" in page else "?"
    return [
        {"lang": code, "name": NAMES[code], "url": f"{page}{glue}lang={code}", "current": code == lang}
        for code in WORDS
    ]
