"""The import runner: a background loop of the worker that processes queued CSV imports.

A job is claimed in a short transaction, then imported in one transaction of its own (all or
nothing), its progress written every hundred rows in separate short transactions so that
`GET /imports/{id}` sees it. A job whose worker stopped reporting progress for
`STALE_AFTER` is taken over by another worker (its transaction rolled back with the worker).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orders.adapters.imports import SqlImportJobs
from orders.domain.ownership import EVERYONE, Viewer, Visibility
from orders.entrypoints.importing import IMPORTERS, import_table
from orders.service_layer.imports import ImportJob, JobStatus, Progress
from orders.service_layer.ownership import looking_as
from servicekit.auth import acting_as
from servicekit.background import BackgroundLoop
from servicekit.csvfiles import CsvRejected, ImportReport, ImportReportRead

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)


class ImportRunner:
    def __init__(
        self, *, max_rows: int, poll_interval: float = 2.0, catalogue_required: bool = True
    ) -> None:
        self.max_rows = max_rows
        self.catalogue_required = catalogue_required
        self._loop = BackgroundLoop(
            "orders-import-runner", self._round, interval=poll_interval, logger=log
        )
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None

    async def start(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _round(self) -> float | None:
        assert self._sessionmaker is not None, "the runner is not started"
        async with self._sessionmaker() as session, session.begin():
            job = await SqlImportJobs(session).claim_next(STALE_AFTER)
        if job is None:
            return None
        await self.run(job)
        return 0.0  # another may be waiting

    async def run(self, job: ImportJob) -> ImportJob:
        assert self._sessionmaker is not None
        sessionmaker = self._sessionmaker

        async def progress(done: int) -> None:
            async with sessionmaker() as session, session.begin():
                await SqlImportJobs(session).progress(job.id, done)

        try:
            report = await self._imported(job, progress)
        except CsvRejected as exc:
            job.status, job.report = JobStatus.FAILED, {"error": exc.detail}
        except Exception:
            # Not retried: a job that fails this way would fail again, every round.
            log.exception("import %s failed", job.id)
            job.status = JobStatus.FAILED
            job.report = {"error": "the import failed unexpectedly; the error has been logged"}
        else:
            job.status = JobStatus.SUCCEEDED if report.ok else JobStatus.FAILED
            job.processed_rows = report.rows if report.ok else 0
            job.report = ImportReportRead.of(report).model_dump(mode="json")
        async with sessionmaker() as session, session.begin():
            await SqlImportJobs(session).finish(job)
        log.info("import %s of %d rows: %s", job.id, job.total_rows, job.status.value)
        return job

    async def _imported(self, job: ImportJob, progress: Progress) -> ImportReport:
        """The import's report; its writes committed only in a real run without errors."""
        assert self._sessionmaker is not None
        table = IMPORTERS[job.kind].read(job.content.encode(), self.max_rows)
        # As the person who started it: they own what it creates and it sees what they see.
        with acting_as(job.created_by), looking_as(_starter(job)):
            return await import_table(
                self._sessionmaker,
                job.kind,
                table,
                dry_run=job.dry_run,
                progress=progress,
                catalogue_required=self.catalogue_required,
            )


def _starter(job: ImportJob) -> Viewer:
    if job.created_by is None or job.visibility is None:  # queued before jobs said who
        return EVERYONE
    return Viewer(job.created_by, job.created_by_team, Visibility(job.visibility))
