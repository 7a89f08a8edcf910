"""CSV imports over HTTP: a dry run reports every row's errors and writes nothing; a real run
writes all rows or none. Large files (or on request) are processed in the background."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from orders.adapters.tables import import_jobs
from orders.config import OrdersSettings
from orders.entrypoints.common import PROBLEMS, SALES_OR_INTEGRATION, problems, unit_of_work
from orders.entrypoints.importing import IMPORTERS, import_table
from orders.service_layer.imports import CONTACT, CUSTOMER, ORDER, PRICE_LIST
from orders.service_layer.ownership import current_viewer
from servicekit.csvfiles import ImportFailed, ImportReportRead
from servicekit.http import NotFound
from servicekit.import_jobs import ImportJobRead, queue_import
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
Background = Annotated[
    bool,
    Query(
        description="Answer 202 at once and import in the background (GET /imports/{id} for "
        "progress and report); files over ORDERS_IMPORT_SYNC_ROWS rows always are"
    ),
]


def _settings(request: Request) -> OrdersSettings:
    settings = runtime_of(request).settings
    assert isinstance(settings, OrdersSettings)
    return settings


async def _import(request: Request, kind: str, dry_run: bool, background: bool) -> Any:
    settings = _settings(request)
    data = await request.body()
    table = IMPORTERS[kind].read(data, settings.import_max_rows)
    if background or len(table.rows) > settings.import_sync_rows:
        async with unit_of_work(request) as uow:
            return await queue_import(
                uow.session,
                import_jobs,
                kind=kind,
                dry_run=dry_run,
                data=data,
                total_rows=len(table.rows),
                created_by_team=current_viewer().team,
                visibility=current_viewer().visibility.value,
            )
    with problems():
        runtime = runtime_of(request)
        report = await import_table(
            runtime.sessionmaker,
            kind,
            table,
            dry_run=dry_run,
            catalogue_required=runtime.settings.catalogue_required,  # type: ignore[attr-defined]
        )
    if not report.ok and not dry_run:
        raise ImportFailed(report)
    return ImportReportRead.of(report)


IMPORT_ROUTE: dict[str, Any] = {
    "dependencies": SALES_OR_INTEGRATION,
    "response_model": ImportReportRead,
    "responses": {**PROBLEMS, 202: {"model": ImportJobRead, "description": "Queued"}},
    "openapi_extra": CSV_BODY,
}


@router.post("/imports/customers", **IMPORT_ROUTE)
async def import_customers(
    request: Request, dry_run: DryRun = False, background: Background = False
) -> Any:
    """Customers from CSV: `external_reference`, `name`, `email` and optional `billing_*` /
    `shipping_*` address columns (`name`, `line1`, `line2`, `postal_code`, `city`, `region`,
    `country`). A row whose reference is known already is left as it is.

    422 when the file is not UTF-8, lacks a required column or has too many rows; in a real run
    also when any row is bad (the report in `report`, nothing written)."""
    return await _import(request, CUSTOMER, dry_run, background)


@router.post("/imports/contacts", **IMPORT_ROUTE)
async def import_contacts(
    request: Request, dry_run: DryRun = False, background: Background = False
) -> Any:
    """Contacts of customers from CSV: `external_reference`, `customer` (the customer's external
    reference or id), `name`; optional `email`, `phone`, `position`. A row whose reference is
    known already is left as it is."""
    return await _import(request, CONTACT, dry_run, background)


@router.post("/imports/orders", **IMPORT_ROUTE)
async def import_orders(
    request: Request, dry_run: DryRun = False, background: Background = False
) -> Any:
    """Draft orders from CSV, one row per line: `external_reference` (the rows sharing one are
    one order), `customer` (its external reference or id), `currency`, `sku`, `quantity`,
    `unit_price`, `tax_rate`; optional `order_date`, `customer_reference`, `description`,
    `contract_number`, `payment_terms_days` (the order's, from its first row), `kind`
    (product), `line_description` (the SKU), `discount_percent` (0). An order whose reference
    is known already is left as it is; each created one records order.created.

    A dry run creates them and rolls back: it reports what only creating finds, too."""
    return await _import(request, ORDER, dry_run, background)


@router.post("/imports/price-lists", **IMPORT_ROUTE)
async def import_price_lists(
    request: Request, dry_run: DryRun = False, background: Background = False
) -> Any:
    """Price lists from CSV, one row per price break: `external_reference` (the rows sharing
    one are one list), `name`, `currency`, `sku`, and either `customer` (its external reference
    or id) or `customer_group` (its code); optional `valid_from`, `valid_to` (the list's, from
    its first row), `min_quantity` (0) and `unit_price` or `discount_percent`. A list whose
    reference is known already is left as it is; one overlapping another list of the same
    customer (group) and currency is an error, as over HTTP. Sales and admin write price lists."""
    return await _import(request, PRICE_LIST, dry_run, background)


@router.get("/imports/{job_id}", response_model=ImportJobRead, responses=PROBLEMS)
async def get_import(job_id: uuid.UUID, request: Request) -> ImportJobRead:
    """A background import: its status, rows written so far, and its report once finished.
    Seen as its starter's records are (the report holds the file's rows): 404 otherwise."""
    async with unit_of_work(request) as uow:
        job = await uow.import_jobs.get(str(job_id))
    if job is None or not current_viewer().sees(job.created_by, job.created_by_team):
        raise NotFound(f"no import {job_id}")
    return ImportJobRead.of(job)
