"""A batch's documents rendered and stored side by side, ahead of the handlers that record them.

A consumer handles a batch's events one after the other in one transaction, so each handler
waited for its own render and then for its own file to be written and flushed: one rendering
process worked while the others had nothing to do, and the disk took one file at a time. Before
the handlers run, the batch's preparation builds each event's printable document and starts its
render; once rendered, the file is stored under the key its handler will choose for a new
document. A handler's render then takes the one started for an equal document, and its store of
a key already written ahead is done. Rendering is deterministic and keys are content-addressed,
so those are the bytes and the file the handler would have written itself; a document that
differs (or was not started), or a key the handler chooses otherwise (an existing row's), is
rendered and stored as before.

A file stored ahead whose handler then fails is left behind, as one stored before a crash is:
no row points at it, and a retry writes the same key again.

The printable document built for an event is kept for its handler too (`built_for`), so the
handler neither reads nor builds it again, when the event is the only one of its batch about
its subject: what an earlier handler of the batch wrote about that subject could make the
handler's own build differ. The preparation reads in the handlers' transaction, before any of
them runs; another transaction's commit in between is no different from the handler running
a moment earlier.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from documents.domain.model import PrintableDocument
from documents.service_layer.ports import DocumentStorage, Renderer

KeyOf = Callable[[PrintableDocument, bytes], str | None]
"""The key a document's rendered bytes would be stored under, or None to leave it to the handler."""


class RenderedAhead:
    """A `Renderer` that first looks among the renders started for it, and a `DocumentStorage`
    that does not write again what was stored ahead."""

    def __init__(self, renderer: Renderer, storage: DocumentStorage, key_of: KeyOf) -> None:
        self._renderer = renderer
        self._storage = storage
        self._key_of = key_of
        self._started: list[tuple[PrintableDocument, asyncio.Future[bytes]]] = []
        self._stored: set[str] = set()
        self._built: dict[str, PrintableDocument] = {}

    @property
    def started(self) -> int:
        """Renders started and not taken yet."""
        return len(self._started)

    @property
    def stored(self) -> frozenset[str]:
        """Keys written ahead."""
        return frozenset(self._stored)

    def keep_built(self, event_id: str, document: PrintableDocument) -> None:
        """`document` is what the handler of event `event_id` would build (`built_for`)."""
        self._built[event_id] = document

    def built_for(self, event_id: str) -> PrintableDocument | None:
        """The printable document kept for the handler of event `event_id`, once."""
        return self._built.pop(event_id, None)

    def start(self, document: PrintableDocument) -> None:
        """Start rendering (and storing) `document` now, for a later `render` of an equal
        document."""
        future = asyncio.ensure_future(self._render_and_store(document))
        # A render that no handler takes (its batch failed first) must not log its failure.
        future.add_done_callback(_consume_outcome)
        self._started.append((document, future))

    async def _render_and_store(self, document: PrintableDocument) -> bytes:
        content = await self._renderer.render(document)
        key = self._key_of(document, content)
        if key is not None:
            # Finished before the render is handed over, so a handler's `put` finds the key.
            await self._storage.put(key, content)
            self._stored.add(key)
        return content

    async def render(self, document: PrintableDocument) -> bytes:
        found = self._take(document)
        if found is not None:
            return await found
        return await self._renderer.render(document)

    def _take(self, document: PrintableDocument) -> asyncio.Future[bytes] | None:
        """The render started for `document`: the very object first (a handler given the one
        built ahead, `built_for`), else an equal one. Comparing two documents compares every
        field, so equality is tried only when no render was started for the object itself."""
        for index, (started, future) in enumerate(self._started):
            if started is document:
                del self._started[index]
                return future
        for index, (started, future) in enumerate(self._started):
            if started == document:
                del self._started[index]
                return future
        return None

    async def put(self, key: str, content: bytes) -> None:
        if key in self._stored:
            return  # the same key is the same bytes: its content hash is in it
        await self._storage.put(key, content)

    async def get(self, key: str) -> bytes:
        return await self._storage.get(key)

    async def check(self) -> None:
        await self._storage.check()


def _consume_outcome(future: asyncio.Future[bytes]) -> None:
    if not future.cancelled():
        future.exception()
