"""Orders as CSV rows: one row per line; the rows with one `external_reference` are one order.

The order's own columns (customer, currency, dates, terms) are read from its first row; a later
row of the same order that gives another value is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.entrypoints import mapping
from orders.entrypoints.csv_rows import REFERENCE, differing, grouped_by_reference
from orders.entrypoints.orders_schemas import OrderCreate
from orders.service_layer.imports import OrderGroup, import_orders
from orders.service_layer.orders import NewOrder
from servicekit.csvfiles import CellError, ImportReport, Row, Table, read_table
from servicekit.import_jobs import Progress

ORDER_COLUMNS = (
    REFERENCE,
    "customer",
    "currency",
    "order_date",
    "customer_reference",
    "description",
    "contract_number",
    "payment_terms_days",
    "requested_delivery_date",
    "promised_delivery_date",
)
LINE_COLUMNS = ("sku", "kind", "line_description", "quantity", "unit_price", "discount_percent")
COLUMNS = (*ORDER_COLUMNS, *LINE_COLUMNS, "tax_rate")
REQUIRED = (REFERENCE, "customer", "currency", "sku", "quantity", "unit_price", "tax_rate")


def read(data: bytes, max_rows: int) -> Table:
    return read_table(data, required=REQUIRED, known=COLUMNS, max_rows=max_rows)


def _line(values: dict[str, str]) -> dict[str, Any]:
    return {
        "sku": values.get("sku"),
        "kind": values.get("kind", "product"),
        "description": values.get("line_description", values.get("sku")),
        "quantity": values.get("quantity"),
        "unit_price": values.get("unit_price"),
        "discount_percent": values.get("discount_percent", "0"),
        "tax_rate": values.get("tax_rate"),
    }


def _body(rows: Sequence[Row]) -> dict[str, Any]:
    first = rows[0].values
    body: dict[str, Any] = {
        name: first[name]
        for name in (
            "currency",
            "order_date",
            "customer_reference",
            "description",
            "requested_delivery_date",
            "promised_delivery_date",
        )
        if name in first
    }
    if "contract_number" in first:
        body["contract_number"] = first["contract_number"]
    if "payment_terms_days" in first:
        body["payment_terms"] = {"days": first["payment_terms_days"]}
    body["lines"] = [_line(row.values) for row in rows]
    return body


def _column_of(rows: Sequence[Row]) -> Any:
    def locate(location: tuple[Any, ...]) -> tuple[int, str | None]:
        head = str(location[0]) if location else ""
        if head == "lines" and len(location) > 1 and isinstance(location[1], int):
            index = location[1]
            line = rows[index].line if index < len(rows) else rows[0].line
            part = str(location[2]) if len(location) > 2 else None
            return line, {"description": "line_description"}.get(part or "", part)
        if head == "payment_terms":
            return rows[0].line, "payment_terms_days"
        return rows[0].line, head if head in COLUMNS else None

    return locate


def _errors_of(rows: Sequence[Row], exc: ValidationError) -> list[CellError]:
    locate = _column_of(rows)
    errors = []
    for detail in exc.errors():
        line, column = locate(tuple(detail["loc"]))
        errors.append(CellError(line, column, str(detail["msg"]).removeprefix("Value error, ")))
    return errors


def parse_groups(rows: list[Row]) -> tuple[list[OrderGroup], list[CellError]]:
    """The file's orders, and every error by line and column."""
    by_reference, errors = grouped_by_reference(rows)
    groups = []
    for reference, group_rows in by_reference.items():
        failed = differing(group_rows, ORDER_COLUMNS, "order")
        customer = group_rows[0].values.get("customer")
        if not customer:
            failed.append(CellError(group_rows[0].line, "customer", "required"))
        try:
            body = OrderCreate.model_validate(_body(group_rows))
        except ValidationError as exc:
            failed += _errors_of(group_rows, exc)
        else:
            if not failed and customer:
                groups.append(_group(reference, customer, group_rows, body))
        errors += failed
    errors.sort(key=lambda error: error.line)
    return groups, errors


def _group(reference: str, customer: str, rows: Sequence[Row], body: OrderCreate) -> OrderGroup:
    order = NewOrder(
        **mapping.content(body),
        order_date=body.order_date,
        contract_number=body.contract_number,
        requested_delivery_date=body.requested_delivery_date,
        promised_delivery_date=body.promised_delivery_date,
    )
    return OrderGroup(
        reference=reference,
        line=rows[0].line,
        customer=customer,
        order=order,
        line_of_row=tuple(row.line for row in rows),
    )


async def run_import(
    uow: SqlUnitOfWork, table: Table, *, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Check every row and create the orders: the caller rolls a dry run back (`importing`)."""
    groups, errors = parse_groups(table.rows)
    report = ImportReport(dry_run=dry_run, rows=len(table.rows), errors=errors)
    return await import_orders(uow, uow.references, groups, report, progress)
