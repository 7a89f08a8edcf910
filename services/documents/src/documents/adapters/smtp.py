"""Sending e-mails over SMTP (aiosmtplib): plain-text message, the document (if any) attached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from pydantic import SecretStr

from documents.domain.emails import OutgoingEmail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: SecretStr | None  # never logged: SecretStr prints as '**********'
    starttls: bool | None  # None: upgrade when the server offers STARTTLS
    use_tls: bool  # implicit TLS from the first byte (SMTPS, usually port 465)
    timeout: float


def build_message(email: OutgoingEmail) -> EmailMessage:
    """The MIME message: headers, the text, the document (if any) as an attachment.

    The default policy refuses line breaks in header values, so nothing typed by a user can
    add a header.
    """
    message = EmailMessage()
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(datetime.now(UTC))
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    message["Subject"] = email.subject
    message.set_content(email.body)
    if email.filename is not None:
        maintype, _, subtype = email.content_type.partition("/")
        message.add_attachment(
            email.content, maintype=maintype, subtype=subtype, filename=email.filename
        )
    return message


class SmtpMailer:
    """A `Mailer` that talks to one SMTP server per message (connect, send, quit)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, email: OutgoingEmail) -> None:
        config = self.config
        await aiosmtplib.send(
            build_message(email),
            sender=email.sender,
            recipients=list(email.recipients),
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password.get_secret_value() if config.password else None,
            start_tls=False if config.use_tls else config.starttls,
            use_tls=config.use_tls,
            timeout=config.timeout,
        )
