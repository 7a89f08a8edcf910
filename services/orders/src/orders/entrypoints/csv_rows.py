"""Rows of an import that name their record by an external reference, checked by a request
schema: what every such import (customers, contacts) reads the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orders.service_layer.imports import duplicate_references
from servicekit.csvfiles import CellError, Row, row_errors

Body = TypeVar("Body", bound=BaseModel)

REFERENCE = "external_reference"
MAX_REFERENCE = 200


def reference_errors(row: Row) -> list[CellError]:
    """What is wrong with a row's reference (missing, too long) or its cells (too many)."""
    errors = []
    if row.extra_cells:
        errors.append(CellError(row.line, None, "more cells than the header has columns"))
    reference = row.values.get(REFERENCE, "")
    if not reference:
        errors.append(CellError(row.line, REFERENCE, "required"))
    elif len(reference) > MAX_REFERENCE:
        errors.append(CellError(row.line, REFERENCE, f"at most {MAX_REFERENCE} characters"))
    return errors


def checked_rows(
    rows: list[Row],
    schema: type[Body],
    body_of: Callable[[dict[str, str]], dict[str, Any]],
    column_of: Callable[[tuple[Any, ...]], str | None],
) -> tuple[list[tuple[Row, str, Body]], list[CellError]]:
    """Each valid row with its reference and body, and every error of the others by line and
    column (a missing or repeated reference, cells beyond the header, the schema's errors)."""
    valid: list[tuple[Row, str, Body]] = []
    errors: list[CellError] = []
    for row in rows:
        failed = reference_errors(row)
        reference = row.values.get(REFERENCE, "")
        try:
            body = schema.model_validate(body_of(row.values))
        except ValidationError as exc:
            failed += row_errors(row.line, exc, column_of)
        else:
            if not failed:
                valid.append((row, reference, body))
        errors += failed
    referenced = [(r.line, r.values[REFERENCE]) for r in rows if r.values.get(REFERENCE)]
    errors += duplicate_references(referenced, REFERENCE)
    errors.sort(key=lambda error: error.line)
    return valid, errors


def grouped_by_reference(rows: list[Row]) -> tuple[dict[str, list[Row]], list[CellError]]:
    """The rows of each reference (one record over several rows, e.g. an order's lines), and
    the errors of the rows without a usable reference."""
    errors: list[CellError] = []
    groups: dict[str, list[Row]] = {}
    for row in rows:
        failed = reference_errors(row)
        if not any(error.column == REFERENCE for error in failed):
            groups.setdefault(row.values[REFERENCE], []).append(row)
        errors += failed
    return groups, errors


def differing(rows: Sequence[Row], columns: Sequence[str], record: str) -> list[CellError]:
    """An error on each later row of a record giving another value in one of the record's own
    `columns` than its first row does."""
    first = rows[0]
    errors = []
    for row in rows[1:]:
        for column in columns:
            value = row.values.get(column)
            if value is not None and value != first.values.get(column):
                message = f"differs from line {first.line}, the {record}'s first row"
                errors.append(CellError(row.line, column, message))
    return errors
