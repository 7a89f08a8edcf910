"""Bodies of the imports API: the report of an import (or of its dry run)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from servicekit.csvfiles import ImportReport


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
                for e in report.errors
            ],
        )
