"""The daily collection run in the worker: a background loop that runs today's, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.config import BillingSettings
from billing.service_layer.collection import run_collection
from servicekit.background import BackgroundLoop
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class CollectionLoop:
    """Checks every `collection_interval_seconds` whether the clock's day has been run."""

    def __init__(self, settings: BillingSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.runtime: Runtime | None = None
        self._loop = BackgroundLoop(
            "billing-collection",
            self._round,
            interval=settings.collection_interval_seconds,
            stop_timeout=30,
            logger=log,
        )

    async def _round(self) -> None:
        assert self.runtime is not None, "started with a runtime"
        async with self.runtime.sessionmaker() as session, session.begin():
            await run_collection(SqlUnitOfWork(session), self.clock().date(), self.settings.levels)

    async def start(self, runtime: Runtime) -> None:
        if runtime.worker and self.settings.collection_enabled:
            self.runtime = runtime
            await self._loop.start()

    async def stop(self, runtime: Runtime) -> None:
        if self._loop.running:
            await self._loop.stop()
