"""Receivables: what customers owe as of a date, aged by days past due; customer statements."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Path, Query

from billing.domain.receivables import Ageing
from billing.entrypoints.common import UnitOfWorkDep
from billing.entrypoints.receivables_schemas import AgeingRead, ReceivablesPage, StatementRead
from billing.service_layer.customer_owners import CustomerNotVisible, visible_owner
from billing.service_layer.receivables import ReceivablesFilter, customer_statement
from servicekit.api import NO_NUL, Cursor, Limit, Storable, problem_responses
from servicekit.http import InvalidInput, NotFound
from servicekit.pagination import cursor_position, keys, page_of, text
from servicekit.viewing import CallerViewer as ViewerDep

router = APIRouter(tags=["receivables"])

Currency = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")]


def _position(position: dict[str, Any]) -> tuple[str, str]:
    customer_id, currency = keys("customer_id", "currency")(position)
    return text(customer_id), text(currency)


def _position_of(ageing: Ageing) -> dict[str, Any]:
    return {"customer_id": ageing.customer_id, "currency": ageing.currency}


class AgeingQuery(NamedTuple):
    as_of: date
    where: ReceivablesFilter


async def _filter(
    viewer: ViewerDep,
    as_of: Annotated[date | None, Query(description="Today (UTC) if left out")] = None,
    customer_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    currency: Currency = None,
) -> AgeingQuery:
    day = as_of or datetime.now(UTC).date()
    return AgeingQuery(day, ReceivablesFilter(customer_id, currency, viewer))


# The day and filters of the receivables (their list and their export), the caller's visibility
# included.
ReceivablesQuery = Annotated[AgeingQuery, Depends(_filter)]


@router.get("/receivables", response_model=ReceivablesPage, responses=problem_responses(422))
async def list_receivables(
    uow: UnitOfWorkDep, query: ReceivablesQuery, limit: Limit = 50, cursor: Cursor = None
) -> ReceivablesPage:
    """What each customer owed on `as_of`, per currency, in buckets of days past due (current,
    1-30, 31-60, 61-90, over 90), by customer id; `totals` per currency over all of them.
    Only the customers the caller may see (BILLING_VISIBILITY: a salesperson's own or team's
    customers, as orders says who owns them)."""
    day, where = query
    after = cursor_position(cursor, _position)
    found, totals = await uow.receivables.ageing_with_totals(
        day, where, limit=limit + 1, after=after
    )
    page, next_cursor = page_of(found, limit, _position_of)
    return ReceivablesPage(
        as_of=day,
        items=[AgeingRead.of(ageing) for ageing in page],
        totals=[AgeingRead.of(ageing) for ageing in totals],
        next_cursor=next_cursor,
    )


@router.get(
    "/customers/{customer_id}/statement",
    response_model=StatementRead,
    response_model_by_alias=True,
    responses=problem_responses(404, 422),
)
async def get_statement(
    customer_id: Annotated[str, Path(pattern=NO_NUL, max_length=200)],
    uow: UnitOfWorkDep,
    viewer: ViewerDep,
    start: Annotated[
        date | None, Query(alias="from", description="The first of `to`'s month if left out")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Today (UTC) if left out")] = None,
) -> StatementRead:
    """The customer's account per currency over the period: opening balance, every invoice,
    payment, reversal and refund with the running balance, closing balance; the invoices open
    at its end and the customer's credit. A customer the caller may not see: 404."""
    end = end or datetime.now(UTC).date()
    start = start or end.replace(day=1)
    if start > end:
        raise InvalidInput.field("query.from", "must not be after `to`")
    try:
        await visible_owner(uow, customer_id, viewer)
    except CustomerNotVisible:
        raise NotFound(f"no customer {customer_id}") from None
    return StatementRead.of(await customer_statement(uow, customer_id, start, end))
