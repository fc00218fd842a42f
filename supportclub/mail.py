"""Sending e-mail: SMTP in production, the log in development; one function for all features."""

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

from supportclub.errors import DomainError
from supportclub.i18n import _

log = logging.getLogger("supportclub.mail")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail."""

    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass
class Mail:
    """One message to one recipient."""

    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None


class MailError(DomainError):
    """The mail server refused or could not be reached."""


def sender_address() -> str:
    """The From header: the association's name with the configured sender address."""
    from supportclub.admin.services import get_settings

    name = get_settings().name or "supportclub"
    return formataddr((name, current_app.config["MAIL_DEFAULT_SENDER"]))


def build_message(mail: Mail) -> EmailMessage:
    """The MIME message for `mail` (UTF-8 text, attachments as parts)."""
    message = EmailMessage()
    message["From"] = sender_address()
    message["To"] = mail.to
    message["Subject"] = mail.subject
    domain = current_app.config["MAIL_DEFAULT_SENDER"].split("@")[-1]
    message["Message-ID"] = make_msgid(domain=domain)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message.set_content(mail.body)
    for attachment in mail.attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class Connection:
    """Several mails over one SMTP connection: opened with the first mail, opened again after a
    failure. Each `send` raises MailError for its own mail (a refused address names it)."""

    def __init__(self):
        self._smtp = None

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _open(self):
        config = current_app.config
        smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        smtp = smtp_class(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        )
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Mail) -> None:
        """Send one mail; MailError when the server refuses it or cannot be reached."""
        config = current_app.config
        message = build_message(mail)
        if config["MAIL_BACKEND"] == "console":
            log.info("Mail (nicht versendet, MAIL_BACKEND=console):\n%s", message.as_string())
            return
        try:
            if self._smtp is None:
                self._smtp = self._open()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(
                _("Der Mailserver hat die Adresse %(address)s abgelehnt.", address=message["To"])
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError(
                _(
                    "E-Mail konnte nicht versendet werden (Mailserver %(server)s: %(error)s).",
                    server=f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}",
                    error=error,
                )
            ) from error

    def close(self) -> None:
        """Say goodbye to the server (quietly: the mails are already out or failed)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def send(mails: list[Mail]) -> None:
    """Send `mails` over one connection; raise MailError (naming the recipient) on failure."""
    with Connection() as connection:
        for mail in mails:
            connection.send(mail)


def send_one(mail: Mail) -> None:
    """Send a single mail."""
    send([mail])
