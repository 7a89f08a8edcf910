"""Bodies of the imports API: the report of an import (or of its dry run)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from orders.service_layer.imports import ImportJob, JobStatus
from servicekit.csvfiles import ImportReport
from servicekit.mapping import copied


class CellErrorRead(BaseModel):
    line: int = Field(description="The line of the file the row starts on (the header is 1)")
    column: str | None = Field(description="null: the row as a whole")
    message: str


class ImportReportRead(BaseModel):
    dry_run: bool
    rows: int
    created: int = Field(description="In a dry run: how many a real run would create")
    existing: int = Field(description="Rows whose reference is known already: left unchanged")
    errors: list[CellErrorRead]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportRead:
        return cls(
            dry_run=report.dry_run,
            rows=report.rows,
            created=report.created,
            existing=report.existing,
            errors=[
                CellErrorRead(line=e.line, column=e.column, message=e.message)
                for e in sorted(report.errors, key=lambda error: error.line)
            ],
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
