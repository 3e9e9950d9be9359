"""E-mail to customers over SMTP (SADAKAT_SMTP_URL), with typed errors of its own."""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from connector.config import Config

TIMEOUT_SECONDS = 15
RETRY_SECONDS = 60


class MailError(Exception):
    """The message could not be sent."""


class MailServerBusy(MailError):
    """The server is busy or out of reach: try again later."""


class MailRefused(MailError):
    """The server refused the message (or there is none): trying again won't help."""


def send(
    config: Config,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Send one message (plain text, with an HTML alternative if given); returns its Message-ID. Without
    SADAKAT_SMTP_URL it goes to the local mailbox in the data dir, which the admin pages show.
    MailServerBusy for a busy or unreachable server (4xx, network), MailRefused for a refusal (5xx)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.mail_from, to, subject
    message["Message-ID"] = make_msgid(domain="sadakat")
    message["Date"] = formatdate(localtime=False)
    for name, value in (headers or {}).items():
        del message[name]  # the letter's own From (the shop) replaces the default
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if not config.smtp_url:
        return _to_mailbox(config, message)
    url = urlsplit(config.smtp_url)
    try:
        if url.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                url.hostname or "localhost",
                url.port or 465,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            server = smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=TIMEOUT_SECONDS)
        with server:
            if url.scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
            if url.username:
                server.login(unquote(url.username), unquote(url.password or ""))
            server.send_message(message)
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise MailServerBusy(f"mail server busy: {exc.smtp_code}") from None
        raise MailRefused(f"mail server refused: {exc.smtp_code} {exc.smtp_error!r}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailServerBusy(f"mail server unreachable: {type(exc).__name__}") from None
    return str(message["Message-ID"])


MAILBOX = "mailbox"


@dataclass(frozen=True)
class Kept:
    """A message in the local mailbox."""

    name: str
    to: str
    subject: str
    sent_at: datetime
    text: str
    html: str | None
    shop_id: int | None = None
    """The shop the message was sent for (``X-Sadakat-Shop``), if any."""


SHOP_HEADER = "X-Sadakat-Shop"


def mailbox(config: Config) -> Path:
    """Where messages go when no SMTP server is configured."""
    return config.data_dir / MAILBOX


def _to_mailbox(config: Config, message: EmailMessage) -> str:
    folder = mailbox(config)
    folder.mkdir(parents=True, exist_ok=True)
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(4) + ".eml"
    (folder / name).write_bytes(bytes(message))
    return str(message["Message-ID"])


def kept_messages(config: Config, limit: int = 100) -> list[Kept]:
    """The newest messages in the local mailbox, newest first."""
    folder = mailbox(config)
    names = sorted((p.name for p in folder.glob("*.eml")), reverse=True)[:limit] if folder.is_dir() else []
    return [kept for name in names if (kept := kept_message(config, name)) is not None]


def kept_message(config: Config, name: str) -> Kept | None:
    """One message of the local mailbox by its file name, or None."""
    if "/" in name or "\\" in name or not name.endswith(".eml"):
        return None
    path = mailbox(config) / name
    if not path.is_file():
        return None
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return Kept(
        name=name,
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        sent_at=datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC),
        text=text_part.get_content() if text_part is not None else "",
        shop_id=int(str(message[SHOP_HEADER])) if str(message[SHOP_HEADER] or "").isdigit() else None,
        html=html_part.get_content() if html_part is not None else None,
    )
