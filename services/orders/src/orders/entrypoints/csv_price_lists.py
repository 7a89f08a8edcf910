"""Price lists as CSV rows (import and export): one row per price break; the rows sharing
an `external_reference` are one list. The list's own columns (name, currency, customer or
customer group, validity) are read from its first row; a later row of the same list that gives
another value is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.price_lists import PriceList
from orders.entrypoints.csv_rows import differing, grouped_by_reference
from orders.entrypoints.price_lists_api import new_price_list
from orders.entrypoints.price_lists_schemas import PriceListWrite
from orders.service_layer.imports import PriceListGroup, import_price_lists
from servicekit.csvfiles import CellError, ImportReport, Row, Table, read_table
from servicekit.import_jobs import Progress

LIST_COLUMNS = (
    "external_reference",
    "name",
    "currency",
    "customer",
    "customer_group",
    "valid_from",
    "valid_to",
)
BREAK_COLUMNS = ("sku", "min_quantity", "unit_price", "discount_percent")
COLUMNS = (*LIST_COLUMNS, *BREAK_COLUMNS)
REQUIRED = ("external_reference", "name", "currency", "sku")


def read(data: bytes, max_rows: int) -> Table:
    return read_table(data, required=REQUIRED, known=COLUMNS, max_rows=max_rows)


def _body(rows: Sequence[Row]) -> dict[str, Any]:
    first = rows[0].values
    body: dict[str, Any] = {
        name: first[name]
        for name in ("name", "currency", "customer_group", "valid_from", "valid_to")
        if name in first
    }
    body["entries"] = [
        {name: row.values[name] for name in BREAK_COLUMNS if name in row.values} for row in rows
    ]
    return body


def _errors_of(rows: Sequence[Row], exc: ValidationError) -> list[CellError]:
    errors = []
    for detail in exc.errors():
        location = tuple(detail["loc"])
        line, column = rows[0].line, str(location[0]) if location else None
        if column == "entries" and len(location) > 1 and isinstance(location[1], int):
            line = rows[location[1]].line if location[1] < len(rows) else line
            column = str(location[2]) if len(location) > 2 else None
        message = str(detail["msg"]).removeprefix("Value error, ")
        errors.append(CellError(line, column if column in COLUMNS else None, message))
    return errors


def parse_groups(rows: list[Row]) -> tuple[list[PriceListGroup], list[CellError]]:
    """The file's price lists, and every error by line and column."""
    by_reference, errors = grouped_by_reference(rows)
    groups = []
    for reference, group_rows in by_reference.items():
        failed = differing(group_rows, LIST_COLUMNS, "price list")
        first = group_rows[0]
        customer = first.values.get("customer") or None
        if (customer is None) == (first.values.get("customer_group") is None):
            message = "give either a customer or a customer group"
            failed.append(CellError(first.line, "customer", message))
        try:
            body = PriceListWrite.model_validate(_body(group_rows))
        except ValidationError as exc:
            failed += _errors_of(group_rows, exc)
        else:
            if not failed:
                groups.append(
                    PriceListGroup(
                        reference=reference,
                        line=first.line,
                        customer=customer,
                        price_list=new_price_list(body),
                        line_of_row=tuple(row.line for row in group_rows),
                    )
                )
        errors += failed
    errors.sort(key=lambda error: error.line)
    return groups, errors


async def run_import(
    uow: SqlUnitOfWork, table: Table, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Check every row and create the lists: the caller rolls a dry run back (`importing`)."""
    groups, errors = parse_groups(table.rows)
    report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=errors)
    return await import_price_lists(uow, uow.references, groups, report, progress)


def export_rows(price_list: PriceList, reference: str | None) -> list[list[Any]]:
    """The list's rows in the import's columns (its external reference, else its id)."""
    head = [
        reference or price_list.id,
        price_list.name,
        price_list.currency,
        price_list.customer_id,
        price_list.customer_group,
        price_list.valid_from.isoformat() if price_list.valid_from else None,
        price_list.valid_to.isoformat() if price_list.valid_to else None,
    ]
    return [
        [*head, entry.sku, entry.min_quantity, entry.unit_price, entry.discount_percent]
        for entry in price_list.entries
    ] or [[*head, None, None, None, None]]
