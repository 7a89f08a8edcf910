"""E-mails of documents: the outbox row of one sending, its attempts and its outcome.

A request to e-mail a document is stored as an `Email` in status `queued` (in the request's
transaction); a sender claims due e-mails, tries to deliver them and records each attempt. A
failure is retried with exponential backoff until the configured number of attempts; then the
e-mail is `failed`, never dropped, and can be queued again by hand.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# A conservative, ASCII-only address (no display name, no quoting, no whitespace): it can never
# smuggle a header or a second recipient into the message.
EMAIL_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_RECIPIENTS = 10
MAX_MESSAGE = 10_000
MAX_ERROR = 2000


class EmailStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # every attempt failed; can be queued again


class IllegalTransition(Exception):
    """The e-mail is not in a state that allows the change."""


@dataclass
class Email:
    id: uuid.UUID
    document_id: uuid.UUID | None  # None: a milestone notification, nothing attached
    to: list[str]
    subject: str
    message: str
    cc: list[str] = field(default_factory=list)
    order_id: str | None = None
    quote_id: str | None = None
    milestone: str | None = None  # the event type of the order milestone it notifies of
    status: EmailStatus = EmailStatus.QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    requested_by: str | None = None
    correlation_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    purchase_order_id: str | None = None  # a purchase order's PDF e-mailed to its vendor

    @property
    def subject_id(self) -> str:
        """The order, quote or purchase order the e-mailed document is about (the subject of
        its events)."""
        subject = self.quote_id or self.order_id or self.purchase_order_id
        assert subject is not None, f"e-mail {self.id} has no order, quote or purchase order"
        return subject

    def delivered(self, now: datetime) -> None:
        self.attempts += 1
        self.status = EmailStatus.SENT
        self.last_attempt_at = self.sent_at = now
        self.next_attempt_at = None

    def attempt_failed(self, error: str, now: datetime, policy: RetryPolicy) -> None:
        """Record a failed attempt: try again later, or give up after the last attempt."""
        self.attempts += 1
        self.last_attempt_at = now
        self.last_error = error[:MAX_ERROR]
        if self.attempts >= policy.max_attempts:
            self.status = EmailStatus.FAILED
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + policy.delay(self.attempts)

    def requeue(self, now: datetime) -> None:
        """Queue a failed e-mail again, with a fresh set of attempts."""
        if self.status is not EmailStatus.FAILED:
            raise IllegalTransition(
                f"e-mail {self.id} is {self.status.value}: only a failed e-mail can be retried"
            )
        self.status = EmailStatus.QUEUED
        self.attempts = 0
        self.next_attempt_at = now


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0

    def delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failure: backoff, doubling, capped."""
        seconds = min(self.backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)
        return timedelta(seconds=seconds)


@dataclass(frozen=True)
class OutgoingEmail:
    """One message as handed to a mailer: the document attached, if it is about one."""

    message_id: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    filename: str | None = None  # None: nothing attached
    content_type: str = "application/pdf"
    content: bytes = field(default=b"", repr=False)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


def message_id(email: uuid.UUID, sender: str) -> str:
    """A Message-ID stable across the attempts of one e-mail (receivers may deduplicate)."""
    domain = sender.rpartition("@")[2] or "documents.invalid"
    return f"<{email}@{domain}>"
