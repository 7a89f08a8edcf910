"""Products and services to and from CSV: one row per SKU. `GET /exports/products.csv` writes
the columns the import reads, so an export imports back unchanged.

Import: A dry run reports every row's errors by line and column and writes nothing; a real run
creates all the new SKUs or nothing. A SKU the catalogue has already is left as it is
(`existing`), so running a file twice creates nothing new; changing a product stays
`PUT /products/{sku}`. Files over INVENTORY_IMPORT_SYNC_ROWS rows (or on request) are queued as
an import job and run by the worker (`servicekit.import_jobs`), as orders' imports are."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.common import Sku
from inventory.adapters.tables import import_jobs
from inventory.adapters.transaction import in_transaction
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.config import InventorySettings
from inventory.domain.catalogue import CatalogueDetails, InvalidCatalogueEntry, gtin, list_prices
from inventory.domain.commands import UpsertProduct
from inventory.domain.model import ItemKind
from inventory.domain.records import Product
from inventory.entrypoints.common import PROBLEMS, REFUSALS, WAREHOUSE_ONLY, RuntimeDep
from inventory.entrypoints.products_schemas import ProductUpdate
from inventory.service_layer import catalogue
from servicekit.api import problems_from
from servicekit.auth import acting_as, current_actor
from servicekit.csvfiles import (
    CSV_ANSWER,
    EXPORT_PAGE,
    CellError,
    ImportFailed,
    ImportReport,
    ImportReportRead,
    Row,
    Table,
    csv_response,
    paged,
    read_table,
    row_errors,
    rows_of,
)
from servicekit.http import NotFound
from servicekit.import_jobs import (
    PROGRESS_EVERY,
    ImportJob,
    ImportJobRead,
    ImportJobRunner,
    Progress,
    SqlImportJobs,
    queue_import,
)
from servicekit.observability import current_correlation_id
from servicekit.runtime import Runtime

router = APIRouter(tags=["catalogue"], responses=PROBLEMS)

COLUMNS = (
    "sku",
    "name",
    "kind",
    "description",
    "list_prices",
    "unit_of_measure",
    "tax_category",
    "active",
    "barcode",
)
PRODUCT = "product"  # the kind of job
SKU = TypeAdapter(Sku)


def _prices(cell: str) -> list[dict[str, str]]:
    """`EUR 12.50 USD 13.90`: currency and amount pairs, separated by spaces."""
    words = cell.split()
    if len(words) % 2:
        raise ValueError("give currency and amount pairs, e.g. `EUR 12.50 USD 13.90`")
    return [{"currency": c, "amount": a} for c, a in zip(words[::2], words[1::2], strict=True)]


def _column_of(location: tuple[Any, ...]) -> str | None:
    head = str(location[0]) if location else ""
    return head if head in COLUMNS else None


def _command(row: Row) -> UpsertProduct:
    """The row as the command `PUT /products/{sku}` would run; raises ValidationError,
    ValueError (the list prices cell) or InvalidCatalogueEntry."""
    values = row.values
    body: dict[str, Any] = {name: values[name] for name in COLUMNS[1:] if name in values}
    body["list_prices"] = _prices(values.get("list_prices", ""))
    product = ProductUpdate.model_validate(body)
    details = CatalogueDetails(
        list_prices=list_prices((p.currency, p.amount) for p in product.list_prices),
        unit_of_measure=product.unit_of_measure,
        tax_category=product.tax_category,
        active=product.active,
        barcode=gtin(product.barcode) if product.barcode else None,
    )
    return UpsertProduct(
        sku=values["sku"],
        name=product.name,
        kind=product.kind,
        description=product.description,
        details=details,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )


def _row_errors(row: Row) -> tuple[UpsertProduct | None, list[CellError]]:
    try:
        SKU.validate_python(row.values.get("sku", ""))
    except ValidationError as exc:
        return None, [CellError(row.line, "sku", str(exc.errors()[0]["msg"]))]
    try:
        return _command(row), []
    except ValidationError as exc:
        return None, row_errors(row.line, exc, _column_of)
    except InvalidCatalogueEntry as exc:
        return None, [CellError(row.line, exc.field.split(".")[0], exc.message)]
    except ValueError as exc:
        return None, [CellError(row.line, "list_prices", str(exc))]


def parse_rows(rows: list[Row]) -> tuple[list[UpsertProduct], list[CellError]]:
    """Each valid row's command, and every error of the others by line and column."""
    commands: list[UpsertProduct] = []
    errors: list[CellError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.extra_cells:
            errors.append(CellError(row.line, None, "more cells than the header has columns"))
        sku = row.values.get("sku", "")
        if sku in first_line:
            errors.append(CellError(row.line, "sku", f"the same SKU as line {first_line[sku]}"))
            continue
        first_line[sku] = row.line
        command, failed = _row_errors(row)
        errors += failed
        if command is not None and not row.extra_cells:
            commands.append(command)
    errors.sort(key=lambda error: error.line)
    return commands, errors


class _RolledBack(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("rolled back")
        self.report = report


def read(data: bytes, max_rows: int) -> Table:
    """The file's rows, or CsvRejected (not UTF-8, a missing column, too many rows)."""
    return read_table(data, required=("sku", "name"), known=COLUMNS, max_rows=max_rows)


async def import_products(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: Table,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the SKUs not in the catalogue yet, each recording product.changed, in one
    transaction committed only in a real run without errors; `progress` told every hundred."""
    commands, errors = parse_rows(table.rows)

    async def work(session: AsyncSession) -> ImportReport:
        uow = SqlUnitOfWork(session)
        report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=list(errors))
        new = [c for c in commands if await catalogue.get_product(uow, c.sku) is None]
        report.existing = len(commands) - len(new)
        report.created = len(new) if report.ok else 0
        if report.ok and not report.dry_run:
            for done, command in enumerate(new, start=1):
                await catalogue.upsert_product(uow, command)
                if progress is not None and done % PROGRESS_EVERY == 0:
                    await progress(report.existing + done)
        if report.dry_run or not report.ok:
            raise _RolledBack(report)
        return report

    try:
        with problems_from(REFUSALS):
            return await in_transaction(sessionmaker, work)
    except _RolledBack as done:
        return done.report


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    max_rows: int,
    job: ImportJob,
    progress: Progress,
) -> ImportReport:
    """A queued import, run as the person who started it (the actor of its product.changed)."""
    table = read(job.content.encode(), max_rows)
    with acting_as(job.created_by):
        return await import_products(sessionmaker, table, dry_run=job.dry_run, progress=progress)


def import_runner(settings: InventorySettings) -> ImportJobRunner:
    """The worker's loop over queued product imports."""

    async def run(job: ImportJob, progress: Progress) -> ImportReport:
        return await run_job(runner.sessionmaker, settings.import_max_rows, job, progress)

    runner = ImportJobRunner("inventory-import-runner", import_jobs, run)
    return runner


def _settings(runtime: Runtime) -> InventorySettings:
    settings = runtime.settings
    assert isinstance(settings, InventorySettings)
    return settings


@router.post(
    "/imports/products",
    dependencies=WAREHOUSE_ONLY,
    response_model=ImportReportRead,
    responses={202: {"model": ImportJobRead, "description": "Queued"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "UTF-8 CSV; the delimiter (, ; tab |) is detected; the first line "
            "names the columns",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_products_csv(
    request: Request,
    runtime: RuntimeDep,
    dry_run: Annotated[
        bool, Query(description="Report what would happen, every row's errors included")
    ] = False,
    background: Annotated[
        bool,
        Query(
            description="Answer 202 at once and import in the background (GET /imports/{id} "
            "for progress and report); files over INVENTORY_IMPORT_SYNC_ROWS rows always are"
        ),
    ] = False,
) -> Any:
    """Products from CSV: `sku`, `name` (required), `kind` (product), `description`,
    `list_prices` (currency and amount pairs: `EUR 12.50 USD 13.90`), `unit_of_measure`
    (unit), `tax_category` (standard), `active` (true), `barcode` (a valid GTIN). A SKU the
    catalogue has already is left as it is.

    422 when the file is not UTF-8, lacks a required column or has too many rows; in a real
    run also when any row is bad (the report in `report`, nothing written). Files over
    INVENTORY_IMPORT_SYNC_ROWS rows (or `background=true`) answer 202 with the queued job."""
    settings = _settings(runtime)
    data = await request.body()
    table = read(data, settings.import_max_rows)
    if background or len(table.rows) > settings.import_sync_rows:
        async with runtime.sessionmaker() as session, session.begin():
            return await queue_import(
                session,
                import_jobs,
                kind=PRODUCT,
                dry_run=dry_run,
                data=data,
                total_rows=len(table.rows),
            )
    report = await import_products(runtime.sessionmaker, table, dry_run=dry_run)
    if not report.ok and not dry_run:
        raise ImportFailed(report)
    return ImportReportRead.of(report)


@router.get("/imports/{job_id}", dependencies=WAREHOUSE_ONLY, response_model=ImportJobRead)
async def get_import(job_id: uuid.UUID, runtime: RuntimeDep) -> ImportJobRead:
    """A background import: its status, rows written so far, and its report once finished."""
    async with runtime.sessionmaker() as session, session.begin():
        job = await SqlImportJobs(session, import_jobs).get(str(job_id))
    if job is None:
        raise NotFound(f"no import {job_id}")
    return ImportJobRead.of(job)


def export_row(product: Product) -> list[Any]:
    details = product.details
    prices = " ".join(f"{currency} {amount}" for currency, amount in details.list_prices.items())
    return [
        product.sku,
        product.name,
        product.kind.value,
        product.description,
        prices,
        details.unit_of_measure,
        details.tax_category,
        "true" if details.active else "false",
        details.barcode,
    ]


@router.get("/exports/products.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_products(
    runtime: RuntimeDep,
    kind: ItemKind | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    active: bool | None = None,
) -> StreamingResponse:
    """Products in SKU order with the filters of `GET /products`, in the columns `POST
    /imports/products` reads; streamed a page at a time, each page read in a short
    transaction of its own."""

    async def read(after: str | None) -> tuple[list[Product], bool]:
        async with runtime.sessionmaker() as session, session.begin():
            return await catalogue.list_products(
                SqlUnitOfWork(session),
                limit=EXPORT_PAGE,
                after_sku=after,
                kind=kind,
                text=q,
                active=active,
            )

    found = paged(read, lambda product: product.sku)
    return csv_response("products.csv", COLUMNS, rows_of(found, export_row))
