"""Bodies of the imports API: an import job (the report of an import is servicekit's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from orders.service_layer.imports import ImportJob, JobStatus
from servicekit.mapping import copied


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
