"""Rendering off the event loop: in a process pool sized to the cores, or inline for small
deployments and tests (implements the service layer's async `Renderer` port).

Rendering is CPU-bound Python; in threads it fights the event loop for the GIL and reportlab's
process-wide font registry forces one render at a time. Worker processes each hold their own
registry, register the fonts once (the pool's initializer) and render in parallel. The input
(a PrintableDocument) and the output (bytes) are plain picklable values; the bytes are the same
as an inline render's, since rendering is deterministic.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from documents.adapters.pdf.renderer import PdfRenderer
from documents.domain.model import PrintableDocument

log = logging.getLogger(__name__)

_worker_renderer: PdfRenderer | None = None


class RendererUnavailable(ConnectionError):
    """A rendering process died: transient (the pool is recreated), so the event is retried.

    A ConnectionError on purpose: the event consumer retries those instead of dead-lettering.
    """


def _start_worker(renderer: PdfRenderer, service_pid: int, niceness: int) -> None:
    """Pool initializer: keep the renderer and register its fonts once per worker process.

    The process also lowers its own priority by `niceness`: a PDF may come a little later, but
    the event loops that reserve stock and answer requests on the same cores go first.
    """
    global _worker_renderer
    if niceness:
        os.nice(niceness)
    renderer.check_fonts()
    _worker_renderer = renderer
    watch = threading.Thread(
        target=_leave_with_the_service, args=(service_pid,), name="service-watch", daemon=True
    )
    watch.start()


def _leave_with_the_service(service_pid: int) -> None:
    """A service killed outright (SIGKILL, OOM) cannot stop its pool: its rendering processes,
    adopted by init, would linger holding memory. Each leaves within a second of it instead
    (at once when the service died while the process was still starting)."""
    while os.getppid() == service_pid:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> bool:
    return _worker_renderer is not None


def _render_in_worker(document: PrintableDocument) -> bytes:
    assert _worker_renderer is not None, "the pool's initializer did not run"
    return _worker_renderer.render(document)


class PooledRenderer:
    """Renders in `processes` worker processes, `niceness` below the service's priority;
    0 or 1 renders inline in a worker thread."""

    def __init__(self, renderer: PdfRenderer, *, processes: int, niceness: int = 0) -> None:
        self.renderer = renderer
        self.processes = processes
        self.niceness = niceness
        self._pool: ProcessPoolExecutor | None = None
        self._starting = threading.Lock()

    @property
    def pooled(self) -> bool:
        return self.processes > 1

    def check_fonts(self) -> None:
        self.renderer.check_fonts()

    def start(self) -> None:
        """Start every worker process now, fonts registered (blocking; a no-op inline or when
        already started): the first PDFs do not wait for processes to start, and a font that
        a worker cannot load fails the start."""
        with self._starting:
            if not self.pooled or self._pool is not None:
                return
            pool = self._new_pool()
            try:
                # The pool starts a process per task submitted while none is idle.
                for started in [pool.submit(_ready) for _ in range(self.processes)]:
                    started.result()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            self._pool = pool
            log.info("rendering PDFs in %d processes", self.processes)

    def stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs an event loop and threads that a fork would copy.
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.renderer, os.getpid(), self.niceness),
        )

    async def render(self, document: PrintableDocument) -> bytes:
        """The document as PDF bytes; raises RenderingFailed as the inline renderer does."""
        if not self.pooled:
            return await asyncio.to_thread(self.renderer.render, document)
        if self._pool is None:
            await asyncio.to_thread(self.start)
        pool = self._pool
        assert pool is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool, _render_in_worker, document
            )
        except BrokenProcessPool as exc:
            if self._pool is pool:
                log.warning("a rendering process died: starting a new pool")
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise RendererUnavailable(f"a rendering process died: {exc}") from exc
