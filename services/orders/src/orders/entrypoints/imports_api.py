"""CSV imports over HTTP: a dry run reports every row's errors and writes nothing; a real run
writes all rows or none."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from orders.config import OrdersSettings
from orders.entrypoints import csv_customers
from orders.entrypoints.common import PROBLEMS, SALES_OR_INTEGRATION, unit_of_work
from orders.entrypoints.imports_schemas import ImportReportRead
from orders.service_layer import imports
from servicekit.csvfiles import ImportReport, read_table
from servicekit.http import InvalidInput
from servicekit.runtime import runtime_of

router = APIRouter(tags=["imports"])

CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "UTF-8 CSV; the delimiter (, ; tab |) is detected; the first line names "
        "the columns",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}

DryRun = Annotated[
    bool, Query(description="Report what would happen, every row's errors included; write nothing")
]


class ImportFailed(InvalidInput):
    """A real run with bad rows: nothing written, the report names every error."""

    def __init__(self, report: ImportReport) -> None:
        read = ImportReportRead.of(report)
        super().__init__(
            f"{len({e.line for e in report.errors})} of {report.rows} rows have errors: "
            "nothing was imported",
            errors=[error.model_dump() for error in read.errors],
            report=read.model_dump(),
        )


def _max_rows(request: Request) -> int:
    settings = runtime_of(request).settings
    assert isinstance(settings, OrdersSettings)
    return settings.import_max_rows


@router.post(
    "/imports/customers",
    dependencies=SALES_OR_INTEGRATION,
    response_model=ImportReportRead,
    responses=PROBLEMS,
    openapi_extra=CSV_BODY,
)
async def import_customers(request: Request, dry_run: DryRun = False) -> ImportReportRead:
    """Customers from CSV: `external_reference`, `name`, `email` and optional `billing_*` /
    `shipping_*` address columns (`name`, `line1`, `line2`, `postal_code`, `city`, `region`,
    `country`). A row whose reference is known already is left as it is.

    422 when the file is not UTF-8, lacks a required column or has too many rows; in a real run
    also when any row is bad (the report in `report`, nothing written)."""
    table = read_table(
        await request.body(),
        required=csv_customers.REQUIRED,
        known=csv_customers.COLUMNS,
        max_rows=_max_rows(request),
    )
    rows, errors = csv_customers.parse_rows(table.rows)
    report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=errors)
    async with unit_of_work(request) as uow:
        await imports.import_customers(uow, uow.references, rows, report)
        if not report.ok and not dry_run:
            raise ImportFailed(report)  # rolls back (though nothing was written)
    return ImportReportRead.of(report)
