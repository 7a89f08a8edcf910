"""Template use cases and quotations with fakes: administration rules, which look a document gets,
and quote documents with their own event."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

import pytest

from contracts import EventType, new_event
from contracts.events import QuoteDocumentGenerated, QuoteSent
from documents.domain.model import DocumentKind, PrintableDocument, ReferenceTaken, document_id
from documents.domain.templates import LetterheadImage, Look
from documents.service_layer import printing, templating
from documents.service_layer.generation import Generated, Outcome, generate_document
from documents.service_layer.templating import TemplateConflict, TemplateNotFound

IMAGE = LetterheadImage(content=b"png", content_type="image/png", width=10, height=2)


@pytest.fixture
def generate(fake_uow, fake_storage, fake_renderer):
    """generate_document on the fakes: `await generate(printable, subject, cause)`."""

    async def run(printable: PrintableDocument, subject: str, cause: Any) -> Generated:
        return await generate_document(
            fake_uow,
            printable,
            subject=subject,
            cause=cause,
            renderer=fake_renderer,
            storage=fake_storage,
        )

    return run


async def test_templates_are_administered(fake_uow) -> None:
    spanish = await templating.create_template(
        fake_uow, "Spanish", Look(language="es", letterhead=IMAGE)
    )
    russian = await templating.create_template(fake_uow, "Russian", Look(language="ru"))
    with pytest.raises(TemplateConflict, match="already exists"):
        await templating.create_template(fake_uow, "Spanish", Look(language="es"))

    # Replacing the content keeps the image unless told otherwise.
    updated = await templating.update_template(
        fake_uow, spanish.id, "Spanish", Look(language="es-MX", footer_text="pie")
    )
    assert updated.look.letterhead == IMAGE
    assert updated.look.footer_text == "pie"
    removed = await templating.update_template(
        fake_uow, spanish.id, "Spanish", Look(language="es"), None
    )
    assert removed.look.letterhead is None
    with pytest.raises(TemplateConflict):
        await templating.update_template(fake_uow, russian.id, "Spanish", Look(language="ru"))

    # One default at a time; the default cannot be deleted.
    await templating.make_default(fake_uow, spanish.id)
    await templating.make_default(fake_uow, russian.id)
    assert (await fake_uow.templates.get_default()).id == russian.id
    assert not (await fake_uow.templates.get(spanish.id)).is_default
    with pytest.raises(TemplateConflict, match="default"):
        await templating.delete_template(fake_uow, russian.id)
    await templating.delete_template(fake_uow, spanish.id)
    with pytest.raises(TemplateNotFound):
        await templating.get_template(fake_uow, spanish.id)
    with pytest.raises(TemplateNotFound):
        await templating.make_default(fake_uow, uuid.uuid4())


async def test_which_look_a_document_gets(fake_uow, caplog) -> None:
    assert await templating.resolve_look(fake_uow, None) is None  # the built-in look
    caplog.set_level(logging.WARNING)
    assert await templating.resolve_look(fake_uow, str(uuid.uuid4())) is None
    assert "the built-in look" in caplog.text

    chosen = await templating.create_template(fake_uow, "Chosen", Look(language="ru"))
    default = await templating.create_template(fake_uow, "Default", Look(language="es"))
    await templating.make_default(fake_uow, default.id)
    caplog.clear()

    assert await templating.resolve_look(fake_uow, str(chosen.id)) == chosen.look
    assert caplog.text == ""
    assert await templating.resolve_look(fake_uow, None) is None  # no id: still built-in
    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        assert await templating.resolve_look(fake_uow, unknown) == default.look
        assert f"template {unknown!r} does not exist" in caplog.text
        assert f"the default template {default.id}" in caplog.text


def quote_sent(order, quote_id: str = "quote-1", number: str = "QT-2026-000001") -> QuoteSent:
    content = order.model_copy(update={"order_id": quote_id, "number": number})
    return QuoteSent(
        quote_id=quote_id, number=number, valid_until=date(2026, 4, 30), content=content
    )


async def test_a_quote_becomes_a_quote_document_with_its_own_event(
    fake_uow, generate, order_builder
) -> None:
    sent = quote_sent(order_builder("ignored", "ignored", line_count=2))
    event = new_event(EventType.QUOTE_SENT, sent, source="/orders", subject="quote-1")
    look = Look(language="es")
    result = await generate(printing.quotation(sent, look), "quote-1", event)

    assert result.outcome is Outcome.CREATED
    document = result.document
    assert document.id == document_id("quote-1", DocumentKind.QUOTE, "QT-2026-000001")
    assert (document.kind, document.quote_id, document.order_id) == (
        DocumentKind.QUOTE,
        "quote-1",
        None,
    )
    assert document.language == "es"
    assert document.title == "Presupuesto QT-2026-000001"
    [announced] = fake_uow.events
    assert announced.type == EventType.QUOTE_DOCUMENT_GENERATED
    assert announced.subject == "quote-1"
    assert announced.causationid == event.id
    assert announced.data == QuoteDocumentGenerated(
        document_id=str(document.id),
        quote_id="quote-1",
        reference="QT-2026-000001",
        filename="QT-2026-000001.pdf",
        size=document.size,
        sha256=document.sha256,
        download_path=f"/documents/{document.id}/content",
    )

    # Another quote with the same number is refused; the same quote again changes nothing.
    other = quote_sent(order_builder("x", "x", line_count=1), quote_id="quote-2")
    with pytest.raises(ReferenceTaken, match="already belongs to quote quote-1"):
        await generate(printing.quotation(other), "quote-2", event)
    again = await generate(printing.quotation(sent, look), "quote-1", event)
    assert again.outcome is Outcome.UNCHANGED
    assert len(fake_uow.events) == 1


async def test_an_order_confirmation_records_its_template(
    fake_uow, generate, order_builder
) -> None:
    order = order_builder("order-1", "SO-1", line_count=1).model_copy(
        update={"template_id": "tpl-1"}
    )
    event = new_event(EventType.ORDER_CONFIRMED, order, source="/orders", subject="order-1")
    await generate(printing.order_confirmation(order, Look(language="ru")), "order-1", event)
    assert await fake_uow.documents.template_of_order("order-1") == "tpl-1"
    [document] = fake_uow.documents.rows.values()
    assert (document.template_id, document.language) == ("tpl-1", "ru")
    assert document.title == "Подтверждение заказа SO-1"
    assert fake_uow.events[0].type == EventType.DOCUMENT_GENERATED
