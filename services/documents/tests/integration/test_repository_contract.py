"""One contract for the repositories: every case runs on the in-memory fake of the unit tests
and on the SQL adapters against a migrated PostgreSQL database, so the fake cannot drift.

Each SQL case runs in a transaction that is rolled back at its end.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CloudEvent
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.emails import Email, EmailStatus, RetryPolicy
from documents.domain.model import Document, DocumentKind, document_id, storage_key
from documents.domain.templates import CompanyDetails, LetterheadImage, Look, Template
from documents.entrypoints.cli import MIGRATIONS_DIR
from documents.service_layer.generation import generated_event
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.testing import contract_sessions_fixture, fake_or_sql_fixture, statements_sent

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERYTHING = 1000


contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "documents_contract")
uow = fake_or_sql_fixture(SqlUnitOfWork)


def a_document(
    kind: DocumentKind = DocumentKind.ORDER_CONFIRMATION,
    *,
    owner: str = "order-1",
    reference: str = "SO-2026-000001",
    template_id: str | None = None,
) -> Document:
    doc_id = document_id(owner, kind, reference)
    sha = uuid.uuid4().hex * 2
    return Document(
        id=doc_id,
        order_id=None if kind.about_quote else owner,
        quote_id=owner if kind.about_quote else None,
        kind=kind,
        reference=reference,
        filename=f"{reference}.pdf",
        content_type="application/pdf",
        size=1234,
        sha256=sha,
        storage_key=storage_key(kind, doc_id, sha),
        source_event_id=f"event-{reference}",
        template_id=template_id,
        language="es" if template_id else None,
    )


def a_template(name: str = "Spanish", *, is_default: bool = False) -> Template:
    look = Look(
        language="es",
        letterhead=LetterheadImage(b"\x89PNG fake", "image/png", width=600, height=120),
        footer_text="Registro Mercantil",
        primary_color="#1F4E79",
        accent_color="#C0392B",
        default_opening_text="Estimado cliente:",
        default_closing_text="Atentamente",
        company=CompanyDetails(name="Ejemplo S.L.", address="Gran Vía 1\n28013 Madrid"),
    )
    return Template(id=uuid.uuid4(), name=name, look=look, is_default=is_default)


def an_email(document: Document, *, due: datetime = NINE) -> Email:
    return Email(
        id=uuid.uuid4(),
        document_id=document.id,
        to=["buyer@example.com"],
        cc=["boss@example.com"],
        subject=f"Order confirmation {document.reference}",
        message="Please find attached.",
        order_id=document.order_id,
        quote_id=document.quote_id,
        next_attempt_at=due,
        requested_by="sales-1",
        correlation_id="flow-1",
    )


async def in_pages(list_page, size: int) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    """Every id of a list, read in pages of `size` through the keyset position."""
    ids: list[uuid.UUID] = []
    after = None
    while True:
        page = await list_page(after=after, limit=size)
        ids += [item.id for item in page]
        if len(page) < size:
            return ids
        after = (page[-1].created_at, page[-1].id)


# --- documents ----------------------------------------------------------------------------------


async def test_a_document_is_added_and_found_by_id_and_reference(uow: UnitOfWork) -> None:
    document = a_document()
    await uow.documents.add(document)

    assert document.created_at is not None
    assert document.updated_at is not None
    assert await uow.documents.get(document.id) == document
    found = await uow.documents.get_by_reference(
        DocumentKind.ORDER_CONFIRMATION, "SO-2026-000001", for_update=True
    )
    assert found == document
    assert await uow.documents.get_by_reference(DocumentKind.INVOICE, "SO-2026-000001") is None
    assert await uow.documents.get(uuid.uuid4()) is None


async def test_a_new_document_and_its_event_are_added_in_one_statement_or_not_at_all(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with contract_sessions() as session, session.begin():
        uow = SqlUnitOfWork(session)
        first, second = a_document(), a_document(reference="SO-2026-000002")
        cause = CloudEvent.model_validate(
            {"type": "suite.order.confirmed.v1", "source": "/orders", "data": {}}
        )
        events = [generated_event(document, cause) for document in (first, second)]
        with statements_sent(session.get_bind()) as sent:
            assert await uow.add_new_and_record(first, events[0])
        assert len(sent) == 1, sent  # the row and the event
        # The relay is woken after the commit, by no statement of the transaction (ADR 45).
        assert "pg_notify" not in sent[0]
        with statements_sent(session.get_bind()) as sent:
            assert await uow.add_new_and_record(second, events[1])
        assert len(sent) == 1, sent
        # The number shown already, under another id: neither the row nor its event.
        again = replace(a_document(), id=uuid.uuid4(), sha256="c" * 64)
        with statements_sent(session.get_bind()) as sent:
            assert not await uow.add_new_and_record(again, generated_event(again, cause))
        assert len(sent) == 1, sent
        assert await uow.documents.get(again.id) is None

        assert first.created_at is not None
        assert await uow.documents.get(first.id) == first
        assert await uow.documents.get(second.id) == second
        outbox = uow.outbox
        rows = await session.execute(select(outbox.c.event_id, outbox.c.key).order_by(outbox.c.id))
        assert [tuple(row) for row in rows] == [(event.id, "order-1") for event in events]
        await session.rollback()


async def test_an_update_replaces_the_rendition_not_the_owner_or_number(uow: UnitOfWork) -> None:
    document = a_document()
    await uow.documents.add(document)
    changed = replace(
        document,
        order_id="another-order",
        reference="SO-OTHER",
        size=99,
        sha256="b" * 64,
        storage_key="order_confirmation/x/b.pdf",
        source_event_id="event-2",
        template_id="template-1",
        language="ru",
    )
    await uow.documents.update(changed)

    stored = await uow.documents.get(document.id)
    assert stored is not None
    assert (stored.order_id, stored.reference) == ("order-1", "SO-2026-000001")
    assert (stored.size, stored.sha256, stored.storage_key) == (
        99,
        "b" * 64,
        "order_confirmation/x/b.pdf",
    )
    assert (stored.source_event_id, stored.template_id, stored.language) == (
        "event-2",
        "template-1",
        "ru",
    )
    assert stored.updated_at == changed.updated_at
    assert stored.created_at == document.created_at


async def test_the_template_of_an_order_is_the_one_its_confirmation_asked_for(
    uow: UnitOfWork,
) -> None:
    await uow.documents.add(a_document(template_id="t-1"))
    await uow.documents.add(
        a_document(DocumentKind.INVOICE, reference="INV-2026-000001", template_id="t-2")
    )
    await uow.documents.add(a_document(owner="order-2", reference="SO-2026-000002"))

    assert await uow.documents.template_of_order("order-1") == "t-1"
    assert await uow.documents.template_of_order("order-2") is None
    assert await uow.documents.template_of_order("order-unknown") is None


async def test_documents_are_listed_by_owner_and_kind_in_pages(uow: UnitOfWork) -> None:
    added = [
        a_document(reference="SO-1"),
        a_document(DocumentKind.INVOICE, reference="INV-1"),
        a_document(owner="order-2", reference="SO-2"),
        a_document(DocumentKind.QUOTE, owner="quote-1", reference="QT-1"),
        a_document(DocumentKind.INVOICE, reference="INV-2"),
    ]
    for document in added:
        await uow.documents.add(document)

    async def ids(**filters: object) -> set[uuid.UUID]:
        found = await uow.documents.list(**filters, after=None, limit=EVERYTHING)  # type: ignore[arg-type]
        return {document.id for document in found}

    everything = await uow.documents.list(order_id=None, kind=None, after=None, limit=EVERYTHING)
    assert [d.id for d in everything] == [
        d.id for d in sorted(added, key=lambda d: (d.created_at, d.id))
    ]
    assert await ids(order_id="order-1", kind=None) == {added[0].id, added[1].id, added[4].id}
    assert await ids(order_id="order-1", kind=DocumentKind.INVOICE) == {added[1].id, added[4].id}
    assert await ids(order_id=None, kind=None, quote_id="quote-1") == {added[3].id}
    assert await ids(order_id="nobody", kind=None) == set()

    async def page(*, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Document]:
        return await uow.documents.list(order_id=None, kind=None, after=after, limit=limit)

    assert await in_pages(page, 2) == [d.id for d in everything]


# --- templates ----------------------------------------------------------------------------------


async def test_a_template_is_stored_whole_and_found_by_id_and_name(uow: UnitOfWork) -> None:
    template = a_template()
    await uow.templates.add(template)

    assert template.created_at is not None
    assert await uow.templates.get(template.id) == template
    assert await uow.templates.get(template.id, for_update=True) == template
    assert await uow.templates.get_by_name("Spanish") == template
    assert await uow.templates.get_by_name("spanish") is None
    assert await uow.templates.get(uuid.uuid4()) is None

    template.name = "Spanish 2"
    template.look = Look(language="ru")
    await uow.templates.update(template)
    assert await uow.templates.get(template.id) == template
    assert await uow.templates.get_by_name("Spanish") is None


async def test_one_default_template_at_most(uow: UnitOfWork) -> None:
    first, second = a_template("First"), a_template("Second")
    await uow.templates.add(first)
    await uow.templates.add(second)
    assert await uow.templates.get_default() is None

    first.is_default = True
    await uow.templates.update(first)
    assert await uow.templates.get_default() == first

    await uow.templates.clear_default()
    assert await uow.templates.get_default() is None
    second.is_default = True
    await uow.templates.update(second)
    default = await uow.templates.get_default()
    assert default is not None
    assert default.id == second.id
    cleared = await uow.templates.get(first.id)
    assert cleared is not None
    assert not cleared.is_default


async def test_templates_are_deleted_and_listed_in_pages(uow: UnitOfWork) -> None:
    templates = [a_template(f"T{index}") for index in range(5)]
    for template in templates:
        await uow.templates.add(template)
    await uow.templates.delete(templates[2].id)
    assert await uow.templates.get(templates[2].id) is None

    everything = await uow.templates.list(after=None, limit=EVERYTHING)
    kept = [t for t in templates if t.id != templates[2].id]
    assert [t.id for t in everything] == [
        t.id for t in sorted(kept, key=lambda t: (t.created_at, t.id))
    ]
    assert await in_pages(uow.templates.list, 2) == [t.id for t in everything]


# --- e-mails ------------------------------------------------------------------------------------


async def test_an_email_is_stored_whole(uow: UnitOfWork) -> None:
    document = a_document()
    await uow.documents.add(document)
    email = an_email(document)
    await uow.emails.add(email)

    assert email.created_at is not None
    assert await uow.emails.get(email.id) == email
    assert await uow.emails.get(email.id, for_update=True) == email
    assert await uow.emails.get(uuid.uuid4()) is None


async def test_an_email_update_changes_its_delivery_state_only(uow: UnitOfWork) -> None:
    document = a_document()
    await uow.documents.add(document)
    email = an_email(document)
    await uow.emails.add(email)

    changed = replace(email, subject="changed", to=["other@example.com"])
    changed.attempt_failed("SMTP 451", NINE, RetryPolicy(max_attempts=1))
    await uow.emails.update(changed)

    stored = await uow.emails.get(email.id)
    assert stored is not None
    assert (stored.subject, stored.to) == (email.subject, email.to)
    assert (stored.status, stored.attempts, stored.last_error) == (
        EmailStatus.FAILED,
        1,
        "SMTP 451",
    )
    assert (stored.next_attempt_at, stored.last_attempt_at) == (None, NINE)
    assert stored.updated_at == changed.updated_at


async def test_the_email_due_first_is_claimed(uow: UnitOfWork) -> None:
    document = a_document()
    await uow.documents.add(document)
    later = an_email(document, due=NINE + timedelta(minutes=5))
    first = an_email(document, due=NINE - timedelta(minutes=5))
    future = an_email(document, due=NINE + timedelta(hours=1))
    sent = an_email(document, due=NINE - timedelta(hours=1))
    sent.delivered(NINE - timedelta(hours=1))
    for email in (later, first, future, sent):
        await uow.emails.add(email)

    assert await uow.emails.next_due_at() == first.next_attempt_at
    assert await uow.emails.claim_next_due(NINE - timedelta(hours=2)) is None
    assert await uow.emails.claim_next_due(NINE) == first

    first.delivered(NINE)
    await uow.emails.update(first)
    assert await uow.emails.claim_next_due(NINE) is None
    claimed = await uow.emails.claim_next_due(NINE + timedelta(minutes=10))
    assert claimed is not None
    assert claimed.id == later.id
    assert await uow.emails.next_due_at() == later.next_attempt_at


async def test_emails_are_listed_by_document_in_pages(uow: UnitOfWork) -> None:
    confirmation = a_document()
    invoice = a_document(DocumentKind.INVOICE, reference="INV-1")
    await uow.documents.add(confirmation)
    await uow.documents.add(invoice)
    emails = [an_email(confirmation) for _ in range(3)] + [an_email(invoice) for _ in range(2)]
    for email in emails:
        await uow.emails.add(email)

    of_invoice = await uow.emails.list(document_id=invoice.id, after=None, limit=EVERYTHING)
    assert {e.id for e in of_invoice} == {e.id for e in emails[3:]}
    everything = await uow.emails.list(document_id=None, after=None, limit=EVERYTHING)
    assert [e.id for e in everything] == [
        e.id for e in sorted(emails, key=lambda e: (e.created_at, e.id))
    ]

    async def page(*, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Email]:
        return await uow.emails.list(document_id=None, after=after, limit=limit)

    assert await in_pages(page, 2) == [e.id for e in everything]
