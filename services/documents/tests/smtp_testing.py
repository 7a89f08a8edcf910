"""A real SMTP server (aiosmtpd) for the e-mail tests, the documents service sending to it, and
PDF text extraction for reading documents back."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import io
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pypdf import PdfReader

SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-Pa55word"


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[str] = []

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        ):
            self.logins.append(SMTP_USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@contextlib.asynccontextmanager
async def smtp_server(port: int, *, login: bool = False) -> AsyncIterator[Mailbox]:
    """A real SMTP server on 127.0.0.1:`port` (its own thread and event loop); with `login`, it
    accepts mail only after AUTH with SMTP_USER/SMTP_PASSWORD."""
    mailbox = Mailbox()
    options: dict[str, Any] = {}
    if login:  # over plain TCP: this test server has no certificate
        options = {
            "authenticator": mailbox.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    await asyncio.to_thread(controller.start)
    try:
        yield mailbox
    finally:
        await asyncio.to_thread(controller.stop)


def documents_service(start_service, smtp_port: int, **smtp: Any) -> Any:
    """The service, sending e-mail to 127.0.0.1:`smtp_port` and retrying fast."""
    return start_service(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="documents@example.com",
        smtp_timeout=5,
        email_max_attempts=3,
        email_backoff_seconds=0.2,
        email_max_backoff_seconds=0.4,
        email_poll_interval_seconds=0.5,
        **smtp,
    )


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
    )
