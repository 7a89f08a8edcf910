"""CSV files in and out: reading an upload strictly, reporting bad rows, streaming an export.

    table = read_table(body, required={"name", "email"}, known={...}, max_rows=10_000)
    for row in table.rows:                       # row.line: the row's first line in the file
        try:
            Model.model_validate(nested(row.values))
        except ValidationError as exc:
            errors += row_errors(row.line, exc, column_of)

An upload is UTF-8 (a byte-order mark is allowed), its delimiter detected among `,;` tab and `|`,
its first row the header. A file that is not UTF-8, lacks a required column, names an unknown
column or has more rows than allowed is refused whole (`CsvRejected`, a 422 naming the reason).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from servicekit.http import InvalidInput

T = TypeVar("T")
P = TypeVar("P")

DELIMITERS = ",;\t|"
MAX_CELL = 10_000


class CsvRejected(InvalidInput):
    """The file as a whole cannot be imported; `detail` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errors=[{"field": "body", "message": message}])


@dataclass(frozen=True)
class Row:
    line: int  # the line of the file the row starts on (the header is line 1)
    values: dict[str, str]  # column -> text, stripped; empty cells left out
    extra_cells: bool = False  # more non-empty cells than the header has columns


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[Row]
    delimiter: str


@dataclass(frozen=True)
class CellError:
    line: int
    column: str | None  # None: the row as a whole
    message: str


@dataclass
class ImportReport:
    """What an import did or, in a dry run, would do."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    existing: int = 0  # rows whose external reference is known already: left as they are
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes) -> str:
    """The text of an upload: UTF-8, a leading byte-order mark dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRejected(
            f"the file is not UTF-8 (byte {exc.start + 1} cannot be decoded): save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise CsvRejected("the file contains NUL characters: it is not a text CSV file")
    return text


def _delimiter(text: str) -> str:
    sample = text[:64_000]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","  # a single column, or nothing the sniffer recognises


def read_table(
    data: bytes,
    *,
    required: Iterable[str],
    known: Iterable[str],
    max_rows: int,
) -> Table:
    """The header and rows of an upload (see the module's docstring); blank lines skipped.

    Column names are compared ignoring case and surrounding spaces.
    """
    text = decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise CsvRejected("the file is empty: the first line must name the columns")
        columns = [cell.strip().lower() for cell in header]
        _check_header(columns, set(required), set(known))
        rows: list[Row] = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == max_rows:
                raise CsvRejected(f"the file has more than {max_rows:,} rows: split it")
            rows.append(_row(line, columns, cells))
    except csv.Error as exc:
        raise CsvRejected(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return Table(columns=columns, rows=rows, delimiter=delimiter)


def _check_header(columns: list[str], required: set[str], known: set[str]) -> None:
    missing = sorted(required - set(columns))
    if missing:
        raise CsvRejected(f"missing required columns: {', '.join(missing)}")
    unknown = sorted(set(columns) - known - {""})
    if unknown:
        raise CsvRejected(
            f"unknown columns: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise CsvRejected(f"columns named twice: {', '.join(repeated)}")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _row(line: int, columns: list[str], cells: list[str]) -> Row:
    values: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=False):
        value = _unescaped(cell.strip())
        if column and value:
            values[column] = value[:MAX_CELL]
    extra = any(cell.strip() for cell in cells[len(columns) :])
    return Row(line=line, values=values, extra_cells=extra)


def _unescaped(text: str) -> str:
    """A cell as `cells` wrote it: the quote it put before a formula-like text removed."""
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def row_errors(
    line: int, exc: ValidationError, column_of: Callable[[tuple[Any, ...]], str | None]
) -> list[CellError]:
    """A row's validation errors by column (`column_of` maps a pydantic location to one)."""
    return [
        CellError(line, column_of(tuple(error["loc"])), _message(error)) for error in exc.errors()
    ]


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def cells(values: Sequence[Any]) -> list[str]:
    """A row for export: None as an empty cell, a date or time in ISO 8601, everything else as
    its text.

    A cell that a spreadsheet would take for a formula (starting with = + - @, tab or carriage
    return) is prefixed with a quote, as OWASP recommends against CSV injection.
    """
    out = []
    for value in values:
        if value is None:
            text = ""
        elif isinstance(value, date):  # a datetime too
            text = value.isoformat()
        else:
            text = str(value)
        if text[:1] in FORMULA_START and not _is_number(text):
            text = "'" + text
        out.append(text)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_line(values: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode()


async def stream_csv(
    header: Sequence[str], rows: AsyncIterable[Sequence[Any]]
) -> AsyncIterator[bytes]:
    """The bytes of a CSV export, a line at a time: UTF-8, comma-separated, CRLF (RFC 4180)."""
    yield csv_line(list(header))
    async for row in rows:
        yield csv_line(cells(row))


EXPORT_PAGE = 500  # rows read per transaction by an export

CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
}


def csv_response(
    filename: str, header: Sequence[str], rows: AsyncIterable[Sequence[Any]]
) -> StreamingResponse:
    """An export as a download named `filename`, streamed as its rows are read."""
    return StreamingResponse(
        stream_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def paged(
    read_page: Callable[[P | None], Awaitable[tuple[Sequence[T], bool]]],
    position: Callable[[T], P],
) -> AsyncIterator[T]:
    """Every item of a keyset-paginated list: `read_page(after)` answers a page and whether more
    follow (`after` is None for the first page, then `position(last item)`). Each page should be
    read in a short transaction of its own, so a long export holds none open."""
    after: P | None = None
    while True:
        page, more = await read_page(after)
        for item in page:
            yield item
        if not more or not page:
            return
        after = position(page[-1])


async def rows_of(
    items: AsyncIterable[T], row: Callable[[T], Sequence[Any]]
) -> AsyncIterator[Sequence[Any]]:
    """The rows of an export, one per item: `row(item)`."""
    async for item in items:
        yield row(item)


async def line_rows_of(
    items: AsyncIterable[T], rows: Callable[[T], Iterable[Sequence[Any]]]
) -> AsyncIterator[Sequence[Any]]:
    """The rows of an export, any number per item (one per line, say): `rows(item)`."""
    async for item in items:
        for row in rows(item):
            yield row


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
