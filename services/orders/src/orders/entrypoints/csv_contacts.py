"""A customer's contacts as CSV rows: `external_reference`, `customer` (the customer's external
reference or id), `name`, and optional `email`, `phone`, `position`."""

from __future__ import annotations

from typing import Any

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.contacts import Contact
from orders.entrypoints.contacts_schemas import ContactCreate
from orders.entrypoints.csv_rows import REFERENCE, checked_rows
from orders.service_layer.contacts import NewContact
from orders.service_layer.imports import ContactRow, import_contacts
from servicekit.csvfiles import CellError, ImportReport, Row, Table, read_table
from servicekit.import_jobs import Progress

FIELDS = ("name", "email", "phone", "position")
COLUMNS = (REFERENCE, "customer", *FIELDS)
REQUIRED = (REFERENCE, "customer", "name")


def export_row(contact: Contact, reference: str, customer: str) -> list[Any]:
    """A contact's cells in `COLUMNS` order (`reference`: its own, `customer`: its customer's)."""
    return [reference, customer, contact.name, contact.email, contact.phone, contact.position]


def read(data: bytes, max_rows: int) -> Table:
    return read_table(data, required=REQUIRED, known=COLUMNS, max_rows=max_rows)


def _body(values: dict[str, str]) -> dict[str, Any]:
    return {field: values[field] for field in FIELDS if field in values} | {
        "name": values.get("name")
    }


def _column_of(location: tuple[Any, ...]) -> str | None:
    head = str(location[0]) if location else ""
    return head if head in COLUMNS else None


def parse_rows(rows: list[Row]) -> tuple[list[ContactRow], list[CellError]]:
    valid, errors = checked_rows(rows, ContactCreate, _body, _column_of)
    for row in rows:
        if not row.values.get("customer"):
            errors.append(CellError(row.line, "customer", "required"))
    customer_missing = {error.line for error in errors if error.column == "customer"}
    parsed = [
        ContactRow(
            row.line,
            reference,
            row.values["customer"],
            NewContact(name=body.name, email=body.email, phone=body.phone, position=body.position),
        )
        for row, reference, body in valid
        if row.line not in customer_missing
    ]
    return parsed, errors


async def run_import(
    uow: SqlUnitOfWork, table: Table, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Check every row and, in a real run without errors, add the new contacts."""
    rows, errors = parse_rows(table.rows)
    report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=errors)
    return await import_contacts(uow, uow.references, rows, report, progress)
