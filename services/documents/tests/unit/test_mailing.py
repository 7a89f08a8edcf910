"""E-mailing documents with fakes: queueing, delivery, retries with backoff, giving up, requeueing,
and the MIME message handed to the SMTP server."""

from __future__ import annotations

import email
import email.policy
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import EventType
from contracts.events import DocumentEmailed
from documents.adapters.smtp import build_message
from documents.domain.emails import (
    EmailStatus,
    IllegalTransition,
    OutgoingEmail,
    RetryPolicy,
    message_id,
)
from documents.domain.model import Document, DocumentKind, storage_key
from documents.service_layer.mailing import (
    DocumentNotFound,
    EmailRequest,
    queue_email,
    retry_email,
    send_next_email,
)

PDF_BYTES = b"%PDF-1.4 a document"
ORDER = "order-1"
SENDER = "documents@example.com"
POLICY = RetryPolicy(max_attempts=3, backoff_seconds=10, max_backoff_seconds=15)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def stored_document(uow, storage, *, kind=DocumentKind.ORDER_CONFIRMATION) -> Document:
    doc_id = uuid.uuid4()
    sha = hashlib.sha256(PDF_BYTES).hexdigest()
    document = Document(
        id=doc_id,
        order_id=None if kind is DocumentKind.QUOTE else ORDER,
        quote_id="quote-1" if kind is DocumentKind.QUOTE else None,
        kind=kind,
        reference="SO-2026-000001" if kind is not DocumentKind.QUOTE else "QT-1",
        filename="SO-2026-000001.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=sha,
        storage_key=storage_key(kind, doc_id, sha),
        source_event_id="e",
        language="es" if kind is DocumentKind.QUOTE else None,
    )
    await uow.documents.add(document)
    await storage.put(document.storage_key, PDF_BYTES)
    return document


async def send(uow, storage, mailer, clock):
    return await send_next_email(
        uow, storage=storage, mailer=mailer, sender=SENDER, policy=POLICY, clock=clock
    )


async def test_a_queued_email_is_sent_with_the_document_and_announced(
    fake_uow, fake_storage, make_mailer, clock
) -> None:
    document = await stored_document(fake_uow, fake_storage)
    request = EmailRequest(to=["buyer@example.org"], cc=["boss@example.org"], message="Hola")
    queued = await queue_email(
        fake_uow, document.id, request, requested_by="alice", correlation_id="c-1", now=clock()
    )
    assert queued.status is EmailStatus.QUEUED
    assert queued.subject == "Order confirmation SO-2026-000001"  # the default subject
    assert (queued.order_id, queued.quote_id) == (ORDER, None)
    assert fake_uow.events == []  # nothing is announced before the outcome

    mailer = make_mailer()
    sent = await send(fake_uow, fake_storage, mailer, clock)

    assert sent is not None
    assert sent.status is EmailStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at == clock.now
    [message] = mailer.sent
    assert message.content == PDF_BYTES
    assert message.filename == "SO-2026-000001.pdf"
    assert message.to == ("buyer@example.org",)
    assert message.recipients == ("buyer@example.org", "boss@example.org")
    assert message.message_id == f"<{queued.id}@example.com>"
    [event] = fake_uow.events
    assert event.type == EventType.DOCUMENT_EMAILED
    assert event.subject == ORDER
    assert event.correlationid == "c-1"
    assert event.actor == "alice"
    assert event.data == DocumentEmailed(
        email_id=str(queued.id),
        document_id=str(document.id),
        order_id=ORDER,
        to=["buyer@example.org"],
        subject="Order confirmation SO-2026-000001",
        status="sent",
        attempts=1,
    )
    assert await send(fake_uow, fake_storage, mailer, clock) is None  # nothing left


async def test_failures_back_off_then_give_up_and_a_retry_sends_it(
    fake_uow, fake_storage, make_mailer, clock
) -> None:
    document = await stored_document(fake_uow, fake_storage, kind=DocumentKind.QUOTE)
    queued = await queue_email(
        fake_uow,
        document.id,
        EmailRequest(to=["a@example.org"], message="m", subject="Su presupuesto"),
        requested_by=None,
        correlation_id=None,
        now=clock(),
    )
    mailer = make_mailer(failures=3)

    first = await send(fake_uow, fake_storage, mailer, clock)
    assert first is not None
    assert (first.status, first.attempts) == (EmailStatus.QUEUED, 1)
    assert first.next_attempt_at == clock.now + timedelta(seconds=10)
    assert "ConnectionRefusedError" in (first.last_error or "")
    assert await send(fake_uow, fake_storage, mailer, clock) is None  # not due yet

    clock.advance(10)
    second = await send(fake_uow, fake_storage, mailer, clock)
    assert second is not None
    assert second.attempts == 2
    assert second.next_attempt_at == clock.now + timedelta(seconds=15)  # 20, capped at 15
    assert fake_uow.events == []

    clock.advance(15)
    third = await send(fake_uow, fake_storage, mailer, clock)
    assert third is not None
    assert (third.status, third.attempts) == (EmailStatus.FAILED, 3)
    assert third.next_attempt_at is None
    [failed] = fake_uow.events
    assert failed.subject == "quote-1"
    assert failed.data.status == "failed"
    assert failed.data.quote_id == "quote-1"
    assert failed.data.order_id is None
    assert failed.data.attempts == 3
    assert "Connect call failed" in failed.data.error
    clock.advance(3600)
    assert await send(fake_uow, fake_storage, mailer, clock) is None  # never dropped, not retried

    requeued = await retry_email(fake_uow, queued.id, clock())
    assert (requeued.status, requeued.attempts) == (EmailStatus.QUEUED, 0)
    with pytest.raises(IllegalTransition, match="only a failed e-mail"):
        await retry_email(fake_uow, queued.id, clock())
    delivered = await send(fake_uow, fake_storage, mailer, clock)
    assert delivered is not None
    assert delivered.status is EmailStatus.SENT
    assert [e.data.status for e in fake_uow.events] == ["failed", "sent"]
    assert mailer.tries == 4
    with pytest.raises(IllegalTransition):
        await retry_email(fake_uow, queued.id, clock())


async def test_a_missing_file_is_a_failed_attempt_not_a_crash(
    fake_uow, fake_storage, make_mailer, clock
) -> None:
    document = await stored_document(fake_uow, fake_storage)
    fake_storage.objects[document.storage_key] = b"tampered"
    await queue_email(
        fake_uow,
        document.id,
        EmailRequest(to=["a@example.org"], message="m"),
        requested_by=None,
        correlation_id=None,
        now=clock(),
    )
    mailer = make_mailer()
    attempted = await send(fake_uow, fake_storage, mailer, clock)
    assert attempted is not None
    assert attempted.status is EmailStatus.QUEUED
    assert "checksum" in (attempted.last_error or "")
    assert mailer.sent == []


async def test_a_quote_emails_default_subject_is_in_its_language(
    fake_uow, fake_storage, clock
) -> None:
    document = await stored_document(fake_uow, fake_storage, kind=DocumentKind.QUOTE)
    queued = await queue_email(
        fake_uow,
        document.id,
        EmailRequest(to=["a@example.org"], message="m"),
        requested_by=None,
        correlation_id=None,
    )
    assert queued.subject == "Presupuesto QT-1"
    with pytest.raises(DocumentNotFound):
        await queue_email(
            fake_uow,
            uuid.uuid4(),
            EmailRequest(to=["a@example.org"], message="m"),
            requested_by=None,
            correlation_id=None,
        )


def test_the_retry_policy_doubles_and_caps() -> None:
    policy = RetryPolicy(max_attempts=5, backoff_seconds=30, max_backoff_seconds=100)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def outgoing(**changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "message_id": message_id(uuid.UUID(int=7), SENDER),
        "sender": SENDER,
        "to": ("buyer@example.org", "ops@example.org"),
        "cc": ("boss@example.org",),
        "subject": "Подтверждение заказа SO-2026-000001",
        "body": "Здравствуйте!\nВо вложении подтверждение заказа.",
        "filename": "SO-2026-000001.pdf",
        "content_type": "application/pdf",
        "content": PDF_BYTES,
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def test_the_mime_message_carries_the_pdf_as_an_attachment() -> None:
    raw = build_message(outgoing()).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["From"] == SENDER
    assert parsed["To"] == "buyer@example.org, ops@example.org"
    assert parsed["Cc"] == "boss@example.org"
    assert parsed["Subject"] == "Подтверждение заказа SO-2026-000001"
    assert parsed["Message-ID"] == "<00000000-0000-0000-0000-000000000007@example.com>"
    assert parsed.get_body(("plain",)).get_content().startswith("Здравствуйте!")
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "SO-2026-000001.pdf"
    assert attachment.get_content() == PDF_BYTES
    assert max(len(line) for line in raw.splitlines()) <= 998  # SMTP line limit


def test_a_line_break_can_never_add_a_header() -> None:
    with pytest.raises(ValueError, match=r"linefeed|carriage return"):
        build_message(outgoing(subject="Hello\r\nBcc: victim@example.org"))
