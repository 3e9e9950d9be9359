"""The local mailbox (e-mail kept in the data dir when no SMTP server is configured), so a newcomer can
follow a survey link or read a code without a mail server."""

from __future__ import annotations

import re

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from connector.outbox import mail
from connector.web.admin.auth import require_admin
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_mail", __name__, url_prefix="/admin")
bp.before_request(require_admin)
LINK = re.compile(r"https?://[^\s<>\"]+")


@bp.get("/mail")
def inbox() -> ResponseReturnValue:
    """The newest messages kept locally."""
    config = runtime().config
    return render_template("admin/mail.html", messages=mail.kept_messages(config), smtp=bool(config.smtp_url))


@bp.get("/mail/<name>")
def message(name: str) -> ResponseReturnValue:
    """One kept message: its plain-text part with the links made clickable."""
    kept = mail.kept_message(runtime().config, name)
    if kept is None:
        return problem(404, f"no message {name[:80]!r} in the local mailbox")
    return render_template("admin/mail_message.html", message=kept, body=_linked(kept.text), shop_id=None)


@bp.get("/shops/<shop_id:shop_id>/mail")
def shop_inbox(shop_id: int) -> ResponseReturnValue:
    """The newest messages kept locally that were sent for the shop (its managers' mailbox)."""
    config = runtime().config
    mine = [m for m in mail.kept_messages(config, limit=1000) if m.shop_id == shop_id][:100]
    return render_template("admin/mail.html", messages=mine, smtp=bool(config.smtp_url), shop_id=shop_id)


@bp.get("/shops/<shop_id:shop_id>/mail/<name>")
def shop_message(shop_id: int, name: str) -> ResponseReturnValue:
    """One message sent for the shop."""
    kept = mail.kept_message(runtime().config, name)
    if kept is None or kept.shop_id != shop_id:
        return problem(404, f"no message {name[:80]!r} in this shop's mailbox")
    return render_template("admin/mail_message.html", message=kept, body=_linked(kept.text), shop_id=shop_id)


def _linked(text: str) -> Markup:
    parts, last = [], 0
    for found in LINK.finditer(text):
        parts.append(escape(text[last : found.start()]))
        url = found.group(0)
        parts.append(Markup('<a href="{}">{}</a>').format(url, url))
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
