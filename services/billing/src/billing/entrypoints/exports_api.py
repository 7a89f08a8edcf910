"""Exports for bookkeeping: the ledger of a period as CSV, streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from billing.adapters.ledger_repository import SqlLedger
from billing.domain.ledger import COLUMNS, InvalidPeriod, check_period
from billing.service_layer.ledger import LedgerSource
from servicekit.api import problem_responses
from servicekit.http import InvalidInput
from servicekit.runtime import runtime_of

router = APIRouter(tags=["exports"])

BATCH = 500  # rows per chunk written to the client


@router.get(
    "/exports/ledger.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(422)},
)
async def export_ledger(
    request: Request,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> StreamingResponse:
    """Every invoice line, payment, payment reversal and refund dated in the period (at most a
    year), one row each, columns as documented in the README; streamed as it is read."""
    try:
        check_period(start, end)
    except InvalidPeriod as exc:
        raise InvalidInput.field(exc.field, str(exc)) from None
    sessionmaker = runtime_of(request).sessionmaker

    async def body() -> AsyncIterator[str]:
        async with sessionmaker() as session, session.begin():
            yield _chunk([list(COLUMNS)])
            ledger: LedgerSource = SqlLedger(session)
            batch: list[list[str]] = []
            async for row in ledger.rows(start, end):
                batch.append(row.values())
                if len(batch) == BATCH:
                    yield _chunk(batch)
                    batch = []
            if batch:
                yield _chunk(batch)

    filename = f"ledger-{start.isoformat()}-{end.isoformat()}.csv"
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _chunk(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
