"""Mail over SMTP (the local run's embedded server, or any relay); stdlib only."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from chalicelib.services.notifications import MailDeliveryError
from chalicelib.services.ports import MailMessage

__all__ = ["SmtpMailer", "build_email"]


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=message.message_id[:16], domain="permit-service")
    mail["X-Permit-Outbox-Id"] = message.message_id
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text, charset="utf-8")
    return mail


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def send(self, message: MailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.send_message(build_email(message, self._sender))
        except (OSError, smtplib.SMTPException) as error:
            raise MailDeliveryError(
                f"SMTP {self._host}:{self._port}: {type(error).__name__}"
            ) from error
