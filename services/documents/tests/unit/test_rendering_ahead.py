"""A batch's documents rendered and stored ahead of its handlers (`RenderedAhead`, the documents
consumers' batch preparation), with a renderer and a storage that note what they are asked."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from contracts import EventType
from documents.domain.model import (
    Customer,
    DocumentKind,
    PaymentTerms,
    PrintableDocument,
    PrintTotals,
)
from documents.entrypoints.handlers import DocumentHandlers
from documents.service_layer.generation import new_document_key
from documents.service_layer.rendering_ahead import RenderedAhead
from servicekit.testing import order_cancelled


def printable(number: str) -> PrintableDocument:
    zero = Decimal(0)
    return PrintableDocument(
        kind=DocumentKind.ORDER_CONFIRMATION,
        number=number,
        subject_id=f"order-{number}",
        currency="EUR",
        customer=Customer(name="Example GmbH"),
        document_date=date(2026, 12, 1),
        payment_terms=PaymentTerms(days=14),
        lines=(),
        totals=PrintTotals(zero, zero, zero),
    )


class Noting:
    """Renders `number` as bytes; notes each render, which waits until `release` is set."""

    def __init__(self, *, failing: frozenset[str] = frozenset()) -> None:
        self.rendered: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self.release = asyncio.Event()
        self.failing = failing

    async def render(self, document: PrintableDocument) -> bytes:
        self.rendered.append(document.number)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.release.wait()
        self.running -= 1
        if document.number in self.failing:
            raise ValueError(f"cannot render {document.number}")
        return document.number.encode()


def key_by_number(document: PrintableDocument, content: bytes) -> str | None:
    return None if document.number == "unnumbered" else f"key-{document.number}"


def rendered_ahead(renderer: Noting, storage: Any) -> RenderedAhead:
    return RenderedAhead(renderer, storage, key_by_number)


def started_ahead(storage: Any, *numbers: str) -> RenderedAhead:
    """Renders (which finish at once) started for documents of `numbers`."""
    renderer = Noting()
    renderer.release.set()
    ahead = rendered_ahead(renderer, storage)
    for number in numbers:
        ahead.start(printable(number))
    return ahead


class Confirmations:
    """Builds an order's confirmation from an event about it (`printable`); notes each build."""

    def __init__(self) -> None:
        self.built: list[str] = []

    async def __call__(self, event: Any, uow: Any) -> PrintableDocument:
        self.built.append(event.data.order_id)
        return printable(event.data.order_id)


async def test_a_started_render_is_taken_by_an_equal_document_once(fake_storage: Any) -> None:
    renderer = Noting()
    ahead = rendered_ahead(renderer, fake_storage)
    for number in ("1", "2", "3"):
        ahead.start(printable(number))
    await asyncio.sleep(0)
    assert renderer.most_at_once == 3  # side by side, not one after the other
    renderer.release.set()

    assert await ahead.render(printable("2")) == b"2"  # an equal document, built anew
    assert await ahead.render(printable("2")) == b"2"  # taken already: rendered again
    assert renderer.rendered == ["1", "2", "3", "2"]
    assert ahead.started == 2


async def test_the_very_document_started_is_found_without_comparing_documents(
    fake_storage: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [printable(str(number)) for number in range(5)]
    ahead = started_ahead(fake_storage)
    for document in reversed(documents):  # handlers may ask in another order than started
        ahead.start(document)
    compared: list[str] = []
    equal = PrintableDocument.__eq__

    def noting_equal(self: PrintableDocument, other: object) -> bool:
        compared.append(self.number)
        return equal(self, other)

    monkeypatch.setattr(PrintableDocument, "__eq__", noting_equal)

    assert [await ahead.render(document) for document in documents] == [
        str(number).encode() for number in range(5)
    ]
    assert compared == []  # each one found as itself: no document compared field by field
    assert await ahead.render(printable("9")) == b"9"  # an unknown one: compared, rendered
    assert compared == []  # none left to compare it with
    assert ahead.started == 0


async def test_a_different_document_is_rendered_as_asked(fake_storage: Any) -> None:
    renderer = Noting()
    renderer.release.set()
    ahead = rendered_ahead(renderer, fake_storage)
    ahead.start(printable("1"))
    await asyncio.sleep(0)
    changed = replace(printable("1"), customer_reference="PO-7")  # e.g. read differently later

    assert await ahead.render(changed) == b"1"
    assert renderer.rendered == ["1", "1"]
    assert ahead.started == 1  # the started one is left, unused


async def test_a_render_started_and_never_taken_fails_quietly(fake_storage: Any) -> None:
    renderer = Noting(failing=frozenset({"1"}))
    renderer.release.set()
    ahead = rendered_ahead(renderer, fake_storage)
    ahead.start(printable("1"))
    unhandled: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: unhandled.append(context)
    )
    await asyncio.sleep(0.01)
    del ahead
    gc.collect()
    await asyncio.sleep(0)
    assert unhandled == []


async def test_a_batch_preparation_starts_the_renders_its_handlers_take(
    fake_storage: Any,
) -> None:
    renderer = Noting()
    renderer.release.set()
    storage = fake_storage
    handlers = DocumentHandlers(renderer, storage)
    confirmation = Confirmations()
    built = confirmation.built

    prepare = handlers.rendering_ahead({EventType.ORDER_CANCELLED: confirmation})
    session: Any = SimpleNamespace(info={})
    events = [order_cancelled("a"), order_cancelled("b")]

    await prepare(session, events)

    assert built == ["a", "b"]
    ahead = session.info["documents.rendered_ahead"]
    assert isinstance(ahead, RenderedAhead)
    assert ahead.started == 2
    assert await ahead.render(printable("b")) == b"b"
    assert renderer.rendered == ["a", "b"]
    # Stored under the keys new documents of theirs get.
    assert ahead.stored == {new_document_key(printable(n), n.encode()) for n in ("a", "b")}
    assert sorted(storage.objects.values()) == [b"a", b"b"]


async def test_a_rendered_document_is_stored_ahead_and_not_written_again(
    fake_storage: Any,
) -> None:
    storage = fake_storage
    ahead = started_ahead(storage, "1", "2")

    assert await ahead.render(printable("1")) == b"1"
    assert storage.objects == {"key-1": b"1", "key-2": b"2"}  # both, before their handlers
    await ahead.put("key-1", b"1")  # the handler's store of the key written ahead
    await ahead.put("key-9", b"9")  # a key chosen otherwise (an existing row's) is written
    assert sorted(storage.written) == ["key-1", "key-2", "key-9"]
    assert await ahead.get("key-2") == b"2"


async def test_a_document_without_a_key_is_rendered_ahead_but_not_stored(
    fake_storage: Any,
) -> None:
    storage = fake_storage
    ahead = started_ahead(storage, "unnumbered")

    assert await ahead.render(printable("unnumbered")) == b"unnumbered"
    assert storage.written == []
    assert ahead.stored == frozenset()


async def test_a_store_that_fails_ahead_fails_the_handler_that_takes_its_render(
    fake_storage: Any,
) -> None:
    storage = fake_storage
    storage.failing.add("key-1")
    ahead = started_ahead(storage, "1")

    # An OSError, which the consumer retries (a broken disk must not dead-letter documents).
    with pytest.raises(OSError, match="cannot write key-1"):
        await ahead.render(printable("1"))
    assert ahead.stored == frozenset()


async def test_a_handler_takes_the_document_built_ahead_when_its_event_is_alone_on_its_subject(
    fake_storage: Any,
) -> None:
    renderer = Noting()
    renderer.release.set()
    handlers = DocumentHandlers(renderer, fake_storage)
    confirmation = Confirmations()
    built = confirmation.built

    prepare = handlers.rendering_ahead({EventType.ORDER_CANCELLED: confirmation})
    session: Any = SimpleNamespace(info={})
    alone, first, second = order_cancelled("a"), order_cancelled("b"), order_cancelled("b")
    await prepare(session, [alone, first, second])
    assert built == ["a", "b", "b"]
    uow: Any = SimpleNamespace(session=session)

    # Built ahead: taken as it is, once, with nothing read or built again.
    assert await handlers.printable(alone, uow, confirmation) == printable("a")
    assert built == ["a", "b", "b"]
    assert await handlers.printable(alone, uow, confirmation) == printable("a")
    assert built == ["a", "b", "b", "a"]
    # Two events about one order: an earlier handler may write what the later one reads, so
    # each builds its own.
    assert await handlers.printable(second, uow, confirmation) == printable("b")
    assert built == ["a", "b", "b", "a", "b"]


async def test_without_a_batch_preparation_a_handler_builds_its_document(
    fake_storage: Any,
) -> None:
    handlers = DocumentHandlers(Noting(), fake_storage)
    confirmation = Confirmations()
    built = confirmation.built

    uow: Any = SimpleNamespace(session=SimpleNamespace(info={}))  # handled one by one
    assert await handlers.printable(order_cancelled("a"), uow, confirmation) == printable("a")
    assert built == ["a"]
