"""Customers as CSV rows: the columns of an import and of an export, which are the same.

An export imports back unchanged: its `external_reference` is the customer's reference, or its
id when it has none (an id names its customer on import).
"""

from __future__ import annotations

from typing import Any

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.customer import Customer
from orders.entrypoints import mapping
from orders.entrypoints.csv_rows import REFERENCE, checked_rows
from orders.entrypoints.customers_schemas import CustomerCreate
from orders.service_layer.customers import NewCustomer
from orders.service_layer.imports import (
    CustomerRow,
    import_customers,
)
from servicekit.csvfiles import CellError, ImportReport, Row, Table, read_table
from servicekit.import_jobs import Progress

ADDRESS_PARTS = ("name", "line1", "line2", "postal_code", "city", "region", "country")
KINDS = ("billing", "shipping")
COLUMNS = (
    REFERENCE,
    "name",
    "email",
    *(f"{kind}_{part}" for kind in KINDS for part in ADDRESS_PARTS),
)
REQUIRED = (REFERENCE, "name", "email")


def _nested(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": values.get("name"), "email": values.get("email")}
    for kind in KINDS:
        address = {
            part: values[f"{kind}_{part}"] for part in ADDRESS_PARTS if f"{kind}_{part}" in values
        }
        if address:
            body[f"{kind}_address"] = address
    return body


def _column_of(location: tuple[Any, ...]) -> str | None:
    head = str(location[0]) if location else ""
    for kind in KINDS:
        if head == f"{kind}_address":
            return f"{kind}_{location[1]}" if len(location) > 1 else f"{kind}_line1"
    return head if head in COLUMNS else None


def parse_rows(rows: list[Row]) -> tuple[list[CustomerRow], list[CellError]]:
    """The valid rows as new customers, and every error of the others by line and column."""
    valid, errors = checked_rows(rows, CustomerCreate, _nested, _column_of)
    return [CustomerRow(row.line, ref, _new_customer(body)) for row, ref, body in valid], errors


def _new_customer(body: CustomerCreate) -> NewCustomer:
    return NewCustomer(
        name=body.name,
        email=body.email,
        billing_address=mapping.address(body.billing_address),
        shipping_address=mapping.address(body.shipping_address),
    )


def export_row(customer: Customer, reference: str | None) -> list[Any]:
    """A customer's cells, in `COLUMNS` order."""
    cells: list[Any] = [reference or customer.id, customer.name, customer.email]
    for address in (customer.billing_address, customer.shipping_address):
        cells += [getattr(address, part, None) for part in ADDRESS_PARTS]
    return cells


def read(data: bytes, max_rows: int) -> Table:
    """The file's rows, or `CsvRejected` when it cannot be a customers file at all."""
    return read_table(data, required=REQUIRED, known=COLUMNS, max_rows=max_rows)


async def run_import(
    uow: SqlUnitOfWork, table: Table, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Check every row and, in a real run without errors, create the new customers."""
    rows, errors = parse_rows(table.rows)
    report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=errors)
    return await import_customers(uow, uow.references, rows, report, progress)
