"""E-mail to customers over SMTP (SADAKAT_SMTP_URL), with typed errors of its own."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
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


def send(config: Config, to: str, subject: str, body: str) -> str:
    """Send one plain-text message; returns its Message-ID. MailServerBusy for a busy or unreachable
    server (4xx, network), MailRefused for a refusal (5xx)."""
    if not config.smtp_url:
        raise MailRefused("e-mail is not configured (SADAKAT_SMTP_URL)")
    url = urlsplit(config.smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.mail_from, to, subject
    message["Message-ID"] = make_msgid(domain="sadakat")
    message.set_content(body)
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
