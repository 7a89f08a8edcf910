"""CSV imports processed in the background: the queued job, its table, its repository, its HTTP
body and the runner, a background loop of the worker.

A job is claimed in a short transaction, then run by the service's `RunJob` (one transaction of
its own: all or nothing), its progress written every `PROGRESS_EVERY` rows in separate short
transactions so that `GET /imports/{id}` sees it. A job whose worker stopped reporting progress
for `STALE_AFTER` is taken over by another worker (its transaction rolled back with the worker).

    import_jobs = import_jobs_table(metadata)                      # adapters/tables.py
    runner = ImportJobRunner("inventory-import-runner", import_jobs, run_job)
    await runner.start(runtime.sessionmaker)                       # in a worker
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.auth import current_actor
from servicekit.background import BackgroundLoop
from servicekit.csvfiles import CsvRejected, ImportReport, ImportReportRead, decode
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository

log = logging.getLogger(__name__)

Progress = Callable[[int], Awaitable[None]]
"""Told how many rows are written so far (a background import shows it)."""

PROGRESS_EVERY = 100
STALE_AFTER = timedelta(minutes=5)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # imported (or, in a dry run, checked without errors)
    FAILED = "failed"  # refused: the report (or `error`) says why; nothing written


@dataclass
class ImportJob:
    """An import processed in the background: its file, its progress, at last its report."""

    id: str
    kind: str
    dry_run: bool
    content: str
    total_rows: int
    status: JobStatus = JobStatus.QUEUED
    processed_rows: int = 0
    report: dict[str, Any] | None = None
    created_by: str | None = None
    created_by_team: str | None = None
    visibility: str | None = None  # how far its creator sees (None: everything)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None


def import_jobs_table(metadata: MetaData) -> Table:
    """The `import_jobs` table of a service (its migration creates the same)."""
    return Table(
        "import_jobs",
        metadata,
        Column("id", Uuid(as_uuid=False), primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("dry_run", Boolean, nullable=False),
        Column("status", String(20), nullable=False),
        Column("content", Text, nullable=False),  # the file (UTF-8); emptied once finished
        Column("total_rows", Integer, nullable=False),
        Column("processed_rows", Integer, nullable=False, server_default=text("0")),
        Column("report", JSONB),
        # Who started it: the job runs as them (owner of what it creates, what they may see).
        Column("created_by", String(200)),
        Column("created_by_team", String(200)),
        Column("visibility", String(10)),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("finished_at", DateTime(timezone=True)),
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="import_job_status"
        ),
        Index("ix_import_jobs_waiting", "created_at", postgresql_where=text("finished_at IS NULL")),
    )


def _job(row: Any) -> ImportJob:
    job = copied(ImportJob, row)
    job.status = JobStatus(row.status)
    return job


class SqlImportJobs(SqlRepository):
    """Import jobs in `table` (made by `import_jobs_table`), in the caller's session."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        super().__init__(session)
        self.table = table

    async def add(self, job: ImportJob) -> None:
        await self.session.execute(
            self.table.insert().values(
                id=job.id,
                kind=job.kind,
                dry_run=job.dry_run,
                status=job.status.value,
                content=job.content,
                total_rows=job.total_rows,
                created_by=job.created_by,
                created_by_team=job.created_by_team,
                visibility=job.visibility,
            )
        )

    async def get(self, job_id: str) -> ImportJob | None:
        row = (
            await self.session.execute(select(self.table).where(self.table.c.id == job_id))
        ).first()
        return None if row is None else _job(row)

    async def claim_next(self, stale_after: timedelta) -> ImportJob | None:
        """The oldest queued job, or a running one whose worker stopped reporting progress for
        `stale_after` (it died), now running here."""
        jobs = self.table.c
        waiting = (
            select(jobs.id)
            .where(
                jobs.finished_at.is_(None),
                (jobs.status == JobStatus.QUEUED.value)
                | (jobs.updated_at < func.now() - stale_after),
            )
            .order_by(jobs.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (
            await self.session.execute(
                update(self.table)
                .where(jobs.id == waiting.scalar_subquery())
                .values(status=JobStatus.RUNNING.value, processed_rows=0, updated_at=func.now())
                .returning(self.table)
            )
        ).first()
        return None if row is None else _job(row)

    async def progress(self, job_id: str, processed_rows: int) -> None:
        await self.session.execute(
            update(self.table)
            .where(self.table.c.id == job_id)
            .values(processed_rows=processed_rows, updated_at=func.now())
        )

    async def finish(self, job: ImportJob) -> None:
        """Record the outcome; the file is not kept once it is done."""
        await self.session.execute(
            update(self.table)
            .where(self.table.c.id == job.id)
            .values(
                status=job.status.value,
                processed_rows=job.processed_rows,
                report=job.report,
                content="",
                updated_at=func.now(),
                finished_at=func.now(),
            )
        )


class ImportJobRead(BaseModel):
    """An import processed in the background; `report` once it has finished."""

    id: str
    kind: str
    dry_run: bool
    status: JobStatus
    total_rows: int
    processed_rows: int = Field(description="Rows written so far")
    report: dict[str, Any] | None = Field(
        description="The ImportReportRead when finished, or `{error}` for a file refused whole"
    )
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobRead:
        return copied(cls, job)


async def queue_import(
    session: AsyncSession,
    table: Table,
    *,
    kind: str,
    dry_run: bool,
    data: bytes,
    total_rows: int,
    created_by_team: str | None = None,
    visibility: str | None = None,
) -> JSONResponse:
    """Queue the file (checked whole already) as a job started by the current actor, in the
    caller's transaction: 202 with the job, `Location` naming where its progress is read."""
    job = ImportJob(
        id=str(uuid.uuid4()),
        kind=kind,
        dry_run=dry_run,
        content=decode(data),
        total_rows=total_rows,
        created_by=current_actor(),
        created_by_team=created_by_team,
        visibility=visibility,
    )
    jobs = SqlImportJobs(session, table)
    await jobs.add(job)
    queued = await jobs.get(job.id)
    assert queued is not None
    return JSONResponse(
        ImportJobRead.of(queued).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/imports/{job.id}"},
    )


RunJob = Callable[[ImportJob, Progress], Awaitable[ImportReport]]
"""Runs a job's import: its report, its writes committed only in a real run without errors."""


class ImportJobRunner:
    """The worker's loop over `table`'s queued jobs, one at a time, each run by `run_job`."""

    def __init__(
        self,
        name: str,
        table: Table,
        run_job: RunJob,
        *,
        poll_interval: float = 2.0,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.table = table
        self.run_job = run_job
        self.stale_after = stale_after
        self._loop = BackgroundLoop(name, self._round, interval=poll_interval, logger=log)
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessionmaker is not None, "the runner is not started"
        return self._sessionmaker

    async def start(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def wake(self) -> None:
        """Look for queued jobs now rather than at the next poll."""
        self._loop.wake()

    async def _round(self) -> float | None:
        async with self.sessionmaker() as session, session.begin():
            job = await SqlImportJobs(session, self.table).claim_next(self.stale_after)
        if job is None:
            return None
        await self.run(job)
        return 0.0  # another may be waiting

    async def run(self, job: ImportJob) -> ImportJob:
        sessionmaker = self.sessionmaker

        async def progress(done: int) -> None:
            async with sessionmaker() as session, session.begin():
                await SqlImportJobs(session, self.table).progress(job.id, done)

        try:
            report = await self.run_job(job, progress)
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
            await SqlImportJobs(session, self.table).finish(job)
        log.info("import %s of %d rows: %s", job.id, job.total_rows, job.status.value)
        return job
