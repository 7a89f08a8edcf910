"""External references on PostgreSQL: what other systems call our records."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from orders.adapters.tables import (
    customer_contacts,
    customers,
    external_references,
    import_jobs,
    price_lists,
)
from orders.service_layer.imports import ImportJob, JobStatus
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository


class SqlExternalReferences(SqlRepository):
    async def known(self, kind: str, references: Collection[str]) -> dict[str, str]:
        """The references among `references` that name a record already: reference -> id.

        A reference that is the id of an existing customer (price list, contact) names that
        record: an export of records created here (whose reference is their id) imports back
        without duplicates.
        """
        if not references:
            return {}
        table = external_references.c
        rows = await self.session.execute(
            select(table.reference, table.entity_id).where(
                table.kind == kind, table.reference.in_(list(references))
            )
        )
        found = {row.reference: row.entity_id for row in rows}
        table_of_kind = {
            "customer": customers,
            "price_list": price_lists,
            "contact": customer_contacts,
        }.get(kind)
        if table_of_kind is not None:
            ids = [ref for ref in references if ref not in found and _is_uuid(ref)]
            if ids:
                existing = await self.session.execute(
                    select(table_of_kind.c.id).where(table_of_kind.c.id.in_(ids))
                )
                found.update({entity_id: entity_id for entity_id in existing.scalars()})
        return found

    async def add(self, kind: str, reference: str, entity_id: str) -> None:
        await self.session.execute(
            external_references.insert().values(kind=kind, reference=reference, entity_id=entity_id)
        )

    async def of_entities(self, kind: str, ids: Collection[str]) -> dict[str, str]:
        """The references of these records: id -> reference (records without one left out)."""
        if not ids:
            return {}
        table = external_references.c
        rows = await self.session.execute(
            select(table.entity_id, table.reference).where(
                table.kind == kind, table.entity_id.in_(list(ids))
            )
        )
        return {row.entity_id: row.reference for row in rows}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _job(row: Any) -> ImportJob:
    job = copied(ImportJob, row)
    job.status = JobStatus(row.status)
    return job


class SqlImportJobs(SqlRepository):
    async def add(self, job: ImportJob) -> None:
        await self.session.execute(
            import_jobs.insert().values(
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
            await self.session.execute(select(import_jobs).where(import_jobs.c.id == job_id))
        ).first()
        return None if row is None else _job(row)

    async def claim_next(self, stale_after: timedelta) -> ImportJob | None:
        """The oldest queued job, or a running one whose worker stopped reporting progress for
        `stale_after` (it died), now running here."""
        jobs = import_jobs.c
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
                update(import_jobs)
                .where(jobs.id == waiting.scalar_subquery())
                .values(status=JobStatus.RUNNING.value, processed_rows=0, updated_at=func.now())
                .returning(import_jobs)
            )
        ).first()
        return None if row is None else _job(row)

    async def progress(self, job_id: str, processed_rows: int) -> None:
        await self.session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job_id)
            .values(processed_rows=processed_rows, updated_at=func.now())
        )

    async def finish(self, job: ImportJob) -> None:
        """Record the outcome; the file is not kept once it is done."""
        await self.session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job.id)
            .values(
                status=job.status.value,
                processed_rows=job.processed_rows,
                report=job.report,
                content="",
                updated_at=func.now(),
                finished_at=func.now(),
            )
        )
