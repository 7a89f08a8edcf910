"""Reading CSV uploads strictly and writing exports that read back unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from servicekit.csvfiles import (
    CsvRejected,
    cells,
    line_rows_of,
    paged,
    read_table,
    stream_csv,
)

COLUMNS = {"ref", "name", "note"}


def table(text: str | bytes, max_rows: int = 100) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return read_table(data, required={"ref", "name"}, known=COLUMNS, max_rows=max_rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter: str) -> None:
    read = table(f"Ref{delimiter} Name \nA-1{delimiter}Ромашка\n")
    assert read.delimiter == delimiter
    assert read.columns == ["ref", "name"]
    assert [(r.line, r.values) for r in read.rows] == [(2, {"ref": "A-1", "name": "Ромашка"})]


def test_lines_are_counted_in_the_file_with_quoted_newlines_and_blank_lines() -> None:
    read = table('ref,name,note\nA,"two\nlines",x\n\nB,b,\n')
    assert [(r.line, r.values) for r in read.rows] == [
        (2, {"ref": "A", "name": "two\nlines", "note": "x"}),
        (5, {"ref": "B", "name": "b"}),
    ]


def test_a_byte_order_mark_is_allowed_and_other_encodings_refused() -> None:
    assert table(b"\xef\xbb\xbfref,name\nA,b\n").columns == ["ref", "name"]
    with pytest.raises(CsvRejected, match="not UTF-8"):
        table("ref,name\nA,Müller\n".encode("latin-1"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("ref,note\nA,x\n", "missing required columns: name"),
        ("ref,name,colour\nA,b,red\n", "unknown columns: colour"),
        ("ref,name,name\nA,b,c\n", "columns named twice: name"),
        ("ref,name\nA,b\nC,d\nE,f\n", "more than 2 rows"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_whole(text: str, reason: str) -> None:
    with pytest.raises(CsvRejected, match=reason):
        table(text, max_rows=2)


def test_extra_cells_are_flagged() -> None:
    [row] = table("ref,name\nA,b,surplus\n").rows
    assert row.extra_cells


def test_formula_like_text_is_defused_on_export_and_restored_on_import() -> None:
    assert cells(["=SUM(A1)", "-3.5", "@x", None, 7]) == ["'=SUM(A1)", "-3.5", "'@x", "", "7"]
    [row] = table("ref,name\nA,'=SUM(A1)\n").rows
    assert row.values["name"] == "=SUM(A1)"


async def test_an_export_reads_back_as_it_was_written() -> None:
    original = [["A", 'Smith; "Jr"', "line\nbreak"], ["B", "=cmd", None]]

    async def rows() -> AsyncIterator[Sequence[Any]]:
        for row in original:
            yield row

    data = b"".join([chunk async for chunk in stream_csv(["ref", "name", "note"], rows())])
    assert data.startswith(b"ref,name,note\r\n")
    read = table(data)
    assert [r.values for r in read.rows] == [
        {"ref": "A", "name": 'Smith; "Jr"', "note": "line\nbreak"},
        {"ref": "B", "name": "=cmd"},
    ]


async def test_paged_reads_every_page_after_the_last_item_of_the_previous() -> None:
    asked: list[int | None] = []

    async def read(after: int | None) -> tuple[list[int], bool]:
        asked.append(after)
        start = 0 if after is None else after + 1
        page = [n for n in range(start, min(start + 2, 5))]
        return page, start + 2 < 5

    items = [n async for n in paged(read, lambda n: n)]
    assert (items, asked) == ([0, 1, 2, 3, 4], [None, 1, 3])
    lines = [row async for row in line_rows_of(paged(read, lambda n: n), lambda n: [[n]] * n)]
    assert len(lines) == 0 + 1 + 2 + 3 + 4


def test_dates_and_times_are_written_in_iso_8601() -> None:
    from datetime import UTC, date, datetime

    moment = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)
    assert cells([date(2026, 12, 1), moment, None]) == [
        "2026-12-01",
        "2026-12-01T16:05:00+00:00",
        "",
    ]
