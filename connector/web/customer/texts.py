"""The words of the pages a store's customers open (survey answers, unsubscribing, a friend's referral)."""

from __future__ import annotations

from connector.language.catalogs import N_, NP_, Words
from connector.web.customer.rewards_texts import visitor_language

WORDS = Words(
    "customer",
    {
        "language": N_("Language"),
        "thanks_title": N_("Thank you"),
        "confirm_title": N_("Your answer"),
        "confirm": N_("You chose {score} out of 10. Send it to count it."),
        "confirm_button": N_("Send my answer"),
        "recorded": N_("You answered {score} out of 10."),
        "already": N_("Your answer was already recorded: {score} out of 10."),
        "points": NP_(
            "{points} point has been added to your balance.", "{points} points have been added to your balance."
        ),
        "comment_label": N_("Anything you'd like to tell us? (optional)"),
        "send": N_("Send"),
        "comment_thanks": N_("Thank you, we read every comment."),
        "invalid_title": N_("This link doesn't work"),
        "invalid": N_("This link is not valid. Please use the link in your e-mail."),
        "unsubscribe_title": N_("Unsubscribe"),
        "unsubscribe_question": N_("Stop e-mails like this from {shop} to {email}?"),
        "unsubscribe_button": N_("Unsubscribe"),
        "unsubscribed": N_("Done: {email} will get no more of these e-mails from {shop}."),
        "ref_title": N_("A gift from a friend"),
        "ref_offer_amount": N_("Your friend invites you to {shop}: {value} off your first order."),
        "ref_offer_free_shipping": N_("Your friend invites you to {shop}: free shipping on your first order."),
        "ref_email": N_("Your e-mail address"),
        "ref_get": N_("Get my code"),
        "ref_inbox_title": N_("Check your inbox"),
        "ref_check_inbox": N_(
            "If this address can have the welcome gift, its code is on its way there by e-mail. "
            "The gift is for new customers only."
        ),
        "ref_refused_off": N_("This shop's referral programme is off right now."),
        "ref_bad_email": N_("Please give a valid e-mail address."),
        "ref_expired": N_("This form has expired. Please try again."),
    },
)


def language(shop_locale: str, member_locale: str | None = None) -> str:
    """The page's language, chosen as on the rewards page (``rewards_texts.visitor_language``)."""
    return visitor_language(shop_locale, member_locale)


def words(lang: str) -> dict[str, str]:
    """The words of ``lang``."""
    return WORDS[lang]
