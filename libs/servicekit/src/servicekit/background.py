"""A supervised background loop: one step, again and again, until the process stops.

The outbox relay, the consumer-lag gauge and the e-mail sender all run the same way: do a round
of work, wait (until woken, or until the next round is due), and when a round fails, log it and
retry after a backoff that doubles up to a cap instead of dying or spinning. Stopping lets the
round in progress finish (up to `stop_timeout`), then cancels it.

    loop = BackgroundLoop("documents-email-sender", send_due_and_wait, interval=30.0)
    await loop.start()      # returns at once; the first round starts right away
    loop.wake()             # after queueing work: run a round now rather than at the next tick
    await loop.stop()

A step returns how long to wait before the next round: None for `interval`, 0 for "again at
once" (a full batch: more is likely waiting), or any other number of seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[float | None]]


class BackgroundLoop:
    """Runs `step` in a task of its own until stopped; failures are logged and retried."""

    def __init__(
        self,
        name: str,
        step: Step,
        *,
        interval: float,
        first_backoff: float = 0.5,
        max_backoff: float = 30.0,
        stop_timeout: float | None = None,
        on_error: Callable[[], Awaitable[None]] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """`interval`: the wait when `step` returns None. After a failure the wait starts at
        `first_backoff` and doubles up to `max_backoff`; a successful round resets it.
        `stop_timeout`: how long `stop()` lets a round finish before cancelling it (None: as
        long as it takes; 0: cancel at once). `on_error` runs after a failed round, e.g. to drop
        a connection so that the next round opens a fresh one; its own failure is logged.
        """
        if interval < 0 or first_backoff <= 0 or max_backoff < first_backoff:
            raise ValueError("want interval >= 0 and 0 < first_backoff <= max_backoff")
        self.name = name
        self.step = step
        self.interval = interval
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.stop_timeout = stop_timeout
        self.on_error = on_error
        self.log = logger or log
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called: a long step can check it to end its round early."""
        return self._stopping.is_set()

    def wake(self) -> None:
        """Run the next round now (safe to call at any time, from any coroutine of the loop)."""
        self._wake.set()

    async def start(self) -> None:
        """Start the loop in the background; does nothing if it is already running."""
        if self.running:
            return
        # Fresh events: they belong to the event loop that runs this task (tests use several).
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        """Ask the loop to stop, let the round in progress finish, then return."""
        self._stopping.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return  # never started, or `run()` awaited elsewhere: it ends after its round
        if self.stop_timeout is not None and self.stop_timeout <= 0:
            task.cancel()
        else:
            try:
                await asyncio.wait_for(asyncio.shield(task), self.stop_timeout)
            except TimeoutError:
                self.log.warning(
                    "%s did not stop within %.0fs: cancelling", self.name, self.stop_timeout
                )
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run(self) -> None:
        """The loop itself, in the calling task (`start()` runs it in a task of its own)."""
        backoff = self.first_backoff
        while not self._stopping.is_set():
            self._wake.clear()  # a wake during the round asks for another round at once
            try:
                wait = await self.step()
            except Exception:
                self.log.exception("%s failed; retrying in %.1fs", self.name, backoff)
                await self._recover()
                await self._sleep(self._stopping, backoff)  # only stopping cuts a backoff short
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = self.first_backoff
            await self._sleep(self._wake, self.interval if wait is None else wait)

    async def _recover(self) -> None:
        if self.on_error is None:
            return
        try:
            await self.on_error()
        except Exception:
            self.log.exception("%s could not clean up after a failure", self.name)

    @staticmethod
    async def _sleep(until: asyncio.Event, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)  # still let other tasks run (and stop() get in)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), seconds)
