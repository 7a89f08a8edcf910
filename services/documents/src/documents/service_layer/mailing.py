"""E-mailing documents: queue a request, deliver due e-mails one attempt at a time, retry.

No dual write: the request commits as an `emails` row (the e-mail outbox) in the HTTP
request's transaction. The sender claims one due row at a time (`FOR UPDATE SKIP LOCKED`, so
replicas share the work), loads the verified PDF, hands the message to a `Mailer` and, in the
same transaction, records the attempt and, once the outcome is final (sent, or failed after
the last attempt), writes `suite.document.emailed.v1` to the outbox. A crash between the SMTP
server's acceptance and the commit leaves the row queued and the e-mail is sent again (at
least once); its Message-ID stays the same, so receivers can recognise the duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from contracts import CloudEvent, EventType, new_event
from contracts.events import DocumentEmailed, NotificationEmailed
from contracts.events import EmailStatus as ContractEmailStatus
from documents.domain.emails import (
    Email,
    EmailStatus,
    OutgoingEmail,
    RetryPolicy,
    message_id,
)
from documents.domain.model import Document
from documents.service_layer.ports import DocumentStorage, Mailer
from documents.service_layer.reading import document_content
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.observability import log_context

log = logging.getLogger(__name__)

SOURCE = "/documents"
MAX_SUBJECT = 200


class DocumentNotFound(LookupError):
    pass


class EmailNotFound(LookupError):
    pass


@dataclass(frozen=True)
class EmailRequest:
    to: Sequence[str]
    message: str
    cc: Sequence[str] = ()
    subject: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


async def queue_email(
    uow: UnitOfWork,
    document_id: uuid.UUID,
    request: EmailRequest,
    *,
    requested_by: str | None,
    correlation_id: str | None,
    now: datetime | None = None,
) -> Email:
    """Store the request to e-mail a document; the sender delivers it after the commit."""
    document = await uow.documents.get(document_id)
    if document is None:
        raise DocumentNotFound(f"document {document_id} does not exist")
    email = Email(
        id=uuid.uuid4(),
        document_id=document.id,
        to=list(request.to),
        cc=list(request.cc),
        subject=(request.subject or document.title)[:MAX_SUBJECT],
        message=request.message,
        order_id=document.order_id,
        quote_id=document.quote_id,
        purchase_order_id=document.purchase_order_id,
        next_attempt_at=now or utcnow(),
        requested_by=requested_by,
        correlation_id=correlation_id,
    )
    await uow.emails.add(email)
    log.info("e-mail %s of %s %s queued", email.id, document.kind.value, document.reference)
    return email


async def retry_email(uow: UnitOfWork, email_id: uuid.UUID, now: datetime | None = None) -> Email:
    """Queue a failed e-mail again (raises IllegalTransition unless it failed)."""
    email = await uow.emails.get(email_id, for_update=True)
    if email is None:
        raise EmailNotFound(f"e-mail {email_id} does not exist")
    email.requeue(now or utcnow())
    await uow.emails.update(email)
    log.info("e-mail %s queued again", email.id)
    return email


async def send_next_email(
    uow: UnitOfWork,
    *,
    storage: DocumentStorage,
    mailer: Mailer,
    sender: str,
    policy: RetryPolicy,
    clock: Callable[[], datetime] = utcnow,
) -> Email | None:
    """One attempt at the queued e-mail due first; None when nothing is due.

    Runs in the caller's transaction, which holds the e-mail's row lock during the attempt.
    """
    email = await uow.emails.claim_next_due(clock())
    if email is None:
        return None
    with log_context(order_id=email.subject_id, correlation_id=email.correlation_id):
        await _attempt(
            uow, email, storage=storage, mailer=mailer, sender=sender, policy=policy, clock=clock
        )
    return email


async def _attempt(
    uow: UnitOfWork,
    email: Email,
    *,
    storage: DocumentStorage,
    mailer: Mailer,
    sender: str,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
) -> None:
    try:
        await mailer.send(await _message(uow, email, storage, sender))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".strip()
        email.attempt_failed(error, clock(), policy)
        if email.status is EmailStatus.FAILED:
            log.error(
                "e-mail %s failed for good after %d attempts: %s", email.id, email.attempts, error
            )
        else:
            log.warning(
                "e-mail %s: attempt %d of %d failed (%s); next attempt at %s",
                email.id,
                email.attempts,
                policy.max_attempts,
                error,
                email.next_attempt_at.isoformat() if email.next_attempt_at else "-",
            )
    else:
        email.delivered(clock())
        log.info("e-mail %s sent (attempt %d)", email.id, email.attempts)
    await uow.emails.update(email)
    if email.status is not EmailStatus.QUEUED:
        await uow.record(emailed_event(email))


async def _message(
    uow: UnitOfWork, email: Email, storage: DocumentStorage, sender: str
) -> OutgoingEmail:
    """The message to send: the document's verified content attached, if it is about one."""
    if email.document_id is None:
        return compose(email, None, b"", sender)
    document = await uow.documents.get(email.document_id)
    assert document is not None, "emails.document_id references documents.id"
    return compose(email, document, await document_content(document, storage), sender)


def compose(email: Email, document: Document | None, content: bytes, sender: str) -> OutgoingEmail:
    message = OutgoingEmail(
        message_id=message_id(email.id, sender),
        sender=sender,
        to=tuple(email.to),
        cc=tuple(email.cc),
        subject=email.subject,
        body=email.message,
    )
    if document is None:
        return message
    return replace(
        message,
        filename=document.filename,
        content_type=document.content_type,
        content=content,
    )


def emailed_event(email: Email) -> CloudEvent[Any]:
    """The final outcome, keyed by the order (quote, purchase order) id:
    `suite.document.emailed.v1`, or `suite.notification.emailed.v1` for a milestone
    notification."""
    if email.document_id is None:
        return _notification_emailed(email)
    payload = DocumentEmailed(
        document_id=str(email.document_id),
        order_id=email.order_id,
        quote_id=email.quote_id,
        purchase_order_id=email.purchase_order_id,
        **_outcome(email),
    )
    return new_event(
        EventType.DOCUMENT_EMAILED,
        payload,
        source=SOURCE,
        subject=email.subject_id,
        correlation_id=email.correlation_id,
        actor=email.requested_by,
    )


def _outcome(email: Email) -> dict[str, Any]:
    """What every e-mail's final outcome event says of it."""
    return {
        "email_id": str(email.id),
        "to": list(email.to),
        "subject": email.subject,
        "status": ContractEmailStatus(email.status.value),
        "attempts": email.attempts,
        "error": email.last_error if email.status is EmailStatus.FAILED else None,
    }


def _notification_emailed(email: Email) -> CloudEvent[Any]:
    assert email.order_id is not None, "a notification is about an order"
    assert email.milestone is not None, "a notification names its milestone"
    payload = NotificationEmailed(
        order_id=email.order_id, milestone=email.milestone, **_outcome(email)
    )
    return new_event(
        EventType.NOTIFICATION_EMAILED,
        payload,
        source=SOURCE,
        subject=email.order_id,
        correlation_id=email.correlation_id,
    )
