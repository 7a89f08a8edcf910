"""The billing worker's periodic jobs (collection run, recurring invoices): each a background
loop, started only in a worker and when enabled, running one round in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from billing.adapters.unit_of_work import SqlUnitOfWork
from servicekit.background import BackgroundLoop
from servicekit.runtime import Runtime

Clock = Callable[[], datetime]
Round = Callable[[SqlUnitOfWork], Awaitable[None]]


class WorkerJob:
    """Every `interval` seconds, runs `round` on a unit of work in its own transaction."""

    def __init__(
        self, name: str, round: Round, *, enabled: bool, interval: float, logger: logging.Logger
    ) -> None:
        self.round = round
        self.enabled = enabled
        self.runtime: Runtime | None = None
        self._loop = BackgroundLoop(
            name, self._round, interval=interval, stop_timeout=30, logger=logger
        )

    async def _round(self) -> None:
        assert self.runtime is not None, "started with a runtime"
        async with self.runtime.sessionmaker() as session, session.begin():
            await self.round(SqlUnitOfWork(session))

    async def start(self, runtime: Runtime) -> None:
        if runtime.worker and self.enabled:
            self.runtime = runtime
            await self._loop.start()

    async def stop(self, runtime: Runtime) -> None:
        if self._loop.running:
            await self._loop.stop()
