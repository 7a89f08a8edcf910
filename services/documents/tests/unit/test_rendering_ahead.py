"""A batch's documents rendered ahead of its handlers (`RenderedAhead`, the documents consumers'
batch preparation), with a renderer that notes what it is asked."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from contracts import EventType
from documents.domain.model import (
    Customer,
    DocumentKind,
    PaymentTerms,
    PrintableDocument,
    PrintTotals,
)
from documents.entrypoints.handlers import DocumentHandlers
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


async def test_a_started_render_is_taken_by_an_equal_document_once() -> None:
    renderer = Noting()
    ahead = RenderedAhead(renderer)
    for number in ("1", "2", "3"):
        ahead.start(printable(number))
    await asyncio.sleep(0)
    assert renderer.most_at_once == 3  # side by side, not one after the other
    renderer.release.set()

    assert await ahead.render(printable("2")) == b"2"  # an equal document, built anew
    assert await ahead.render(printable("2")) == b"2"  # taken already: rendered again
    assert renderer.rendered == ["1", "2", "3", "2"]
    assert ahead.started == 2


async def test_a_different_document_is_rendered_as_asked() -> None:
    renderer = Noting()
    renderer.release.set()
    ahead = RenderedAhead(renderer)
    ahead.start(printable("1"))
    await asyncio.sleep(0)
    changed = replace(printable("1"), customer_reference="PO-7")  # e.g. read differently later

    assert await ahead.render(changed) == b"1"
    assert renderer.rendered == ["1", "1"]
    assert ahead.started == 1  # the started one is left, unused


async def test_a_render_started_and_never_taken_fails_quietly() -> None:
    renderer = Noting(failing=frozenset({"1"}))
    renderer.release.set()
    ahead = RenderedAhead(renderer)
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


async def test_a_batch_preparation_starts_the_renders_its_handlers_take() -> None:
    renderer = Noting()
    renderer.release.set()
    handlers = DocumentHandlers(renderer, storage=None)  # type: ignore[arg-type]
    built: list[str] = []

    async def confirmation(event: Any, uow: Any) -> PrintableDocument:
        built.append(event.data.order_id)
        return printable(event.data.order_id)

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
