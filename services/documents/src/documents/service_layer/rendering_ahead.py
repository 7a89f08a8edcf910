"""A batch's documents rendered side by side, ahead of the handlers that store them.

A consumer handles a batch's events one after the other in one transaction, so each handler
waited for its own render: one rendering process worked while the others had nothing to do.
Before the handlers run, the batch's preparation builds each event's printable document and
starts its render; a handler's render then takes the one started for an equal document. Rendering
is deterministic, so those are the bytes the handler would have rendered itself; a document that
differs (or was not started) is rendered as before.
"""

from __future__ import annotations

import asyncio

from documents.domain.model import PrintableDocument
from documents.service_layer.ports import Renderer


class RenderedAhead:
    """A `Renderer` that first looks among the renders started for it."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._started: list[tuple[PrintableDocument, asyncio.Future[bytes]]] = []

    @property
    def started(self) -> int:
        """Renders started and not taken yet."""
        return len(self._started)

    def start(self, document: PrintableDocument) -> None:
        """Start rendering `document` now, for a later `render` of an equal document."""
        future = asyncio.ensure_future(self._renderer.render(document))
        # A render that no handler takes (its batch failed first) must not log its failure.
        future.add_done_callback(_consume_outcome)
        self._started.append((document, future))

    async def render(self, document: PrintableDocument) -> bytes:
        for index, (started, future) in enumerate(self._started):
            if started == document:
                del self._started[index]
                return await future
        return await self._renderer.render(document)


def _consume_outcome(future: asyncio.Future[bytes]) -> None:
    if not future.cancelled():
        future.exception()
