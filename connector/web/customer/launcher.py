"""``/rewards/<shop handle>/launcher.js``: the one script tag a merchant pastes into any site (a WordPress footer,
say) to put a Rewards button on every page, in the shop's colour and language, opening a panel with what
the programme offers and a link to the hosted rewards page. It sets no cookie and calls no one."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from connector.ops.rewards.view import programme_view
from connector.programme import programme_of
from connector.web.customer.rewards import shop_for
from connector.web.customer.rewards_texts import WORDS
from connector.web.customer.shop_links import read_shop_names
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("launcher", __name__)
read_shop_names(bp)
SCRIPT = Path(__file__).parents[1] / "static" / "launcher.js"


@cache
def _code() -> str:
    return SCRIPT.read_text()


@bp.get("/rewards/<shop_id>/launcher.js")
def launcher(shop_id: int) -> ResponseReturnValue:
    """The launcher with this shop's settings (``?lang=en|tr``, ``?position=left|right``)."""
    shop = shop_for(shop_id)
    if shop is None:
        return problem(404, "this store has no rewards programme here")
    programme = programme_of(shop)
    chosen = request.args.get("lang")
    lang = chosen if chosen in WORDS else (programme.locale if programme.locale in WORDS else "en")
    words, offer = WORDS[lang], programme_view(shop, lang)
    config = {
        "page": f"{runtime().config.public_url}/rewards/{shop.handle}?lang={lang}",
        "colour": programme.colour,
        "position": "left" if request.args.get("position") == "left" else "right",
        "lang": lang,
        "label": words["title"],
        "title": words["title"],
        "see": words["launcher_see"],
        "close": words["launcher_close"],
        "summary": [*offer.earn[:2], offer.redeem],
    }
    # JSON inside a script: "<" escaped so no text from the shop can close the script element.
    call = "\nsadakatLauncher(" + json.dumps(config, ensure_ascii=False).replace("<", "\\u003c") + ");\n"
    response = Response(_code() + call, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
