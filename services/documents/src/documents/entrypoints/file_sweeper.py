"""The file sweeper: a background loop of the worker that deletes unreferenced stored files.

The first round runs 10 minutes after the worker starts (or one interval, if that is shorter: a
round walks the whole storage, about 25 µs of CPU per file, which a starting worker, perhaps one of
many in a rolling update, should not add to its start), then one every
`DOCUMENTS_FILE_SWEEP_INTERVAL_SECONDS`. A round deletes the files older than
`DOCUMENTS_FILE_SWEEP_GRACE_SECONDS` that no row points at (`service_layer/sweeping.py`). Every
worker replica may sweep the same storage: they lock the rows they look at with `SKIP LOCKED` and a
file another replica deleted first is not found. Stopping ends the round after its current batch.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from documents.adapters.repositories.stored_keys import SqlStoredKeys
from documents.service_layer.ports import SweptStorage
from documents.service_layer.sweeping import SweepReport, sweep_files
from servicekit.background import BackgroundLoop

log = logging.getLogger(__name__)

FILES_SWEPT = Counter(
    "suite_document_files_swept",
    "Stored files deleted because nothing pointed at them",
    ["service", "reason"],  # reason: unreferenced | unfinished (a write's temporary file)
)
BYTES_SWEPT = Counter(
    "suite_document_bytes_swept", "Bytes of the stored files the file sweep deleted", ["service"]
)
SERVICE = "documents"
FIRST_ROUND_DELAY = 600.0  # seconds after the start


class FileSweeper:
    def __init__(
        self,
        storage: SweptStorage,
        *,
        interval: float,
        grace: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.storage = storage
        self.interval = interval
        self.grace = grace
        self.clock = clock
        self._loop = BackgroundLoop(
            "documents-file-sweeper", self._round, interval=interval, logger=log
        )
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._first_wait_done = False

    async def start(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._first_wait_done = False
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def sweep(self) -> SweepReport:
        """One round: what is older than the grace period and unreferenced goes."""
        report = await sweep_files(
            self.storage,
            self._transaction,
            cutoff=self.clock() - self.grace,
            stopping=lambda: self._loop.stopping,
        )
        FILES_SWEPT.labels(SERVICE, "unfinished").inc(report.leftovers_removed)
        unreferenced = report.files_removed - report.leftovers_removed
        FILES_SWEPT.labels(SERVICE, "unreferenced").inc(unreferenced)
        BYTES_SWEPT.labels(SERVICE).inc(report.bytes_removed)
        if report.files_removed or report.kept_held or report.kept_unknown:
            log.info(
                "file sweep: %d files removed (%d bytes, %d of them unfinished writes); "
                "kept %d whose document was busy and %d of unknown names",
                report.files_removed,
                report.bytes_removed,
                report.leftovers_removed,
                report.kept_held,
                report.kept_unknown,
            )
        return report

    async def _round(self) -> float | None:
        if not self._first_wait_done:  # the loop's first call, at once: only wait
            self._first_wait_done = True
            return min(self.interval, FIRST_ROUND_DELAY)
        await self.sweep()
        return None

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[SqlStoredKeys]:
        assert self._sessionmaker is not None, "the sweeper is not started"
        async with self._sessionmaker() as session, session.begin():
            yield SqlStoredKeys(session)
