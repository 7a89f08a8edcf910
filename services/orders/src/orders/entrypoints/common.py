"""What every route module shares: the transaction, error mapping, parameters and roles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.addresses import AddressNotFound
from orders.domain.errors import IllegalTransition, InvalidOrder, MissingFields, NotAllowed
from orders.service_layer.customers import CustomerNotFound
from orders.service_layer.orders import OrderNotFound
from orders.service_layer.quotes import QuoteNotFound
from servicekit.api import storable
from servicekit.auth import Forbidden, Role, require
from servicekit.http import PROBLEM_JSON, Conflict, InvalidInput, NotFound, decode_cursor
from servicekit.runtime import runtime_of

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in (
        (403, "The caller's role may not do this"),
        (404, "No such resource"),
        (409, "Not allowed in the current state"),
        (422, "Invalid input or missing fields; `errors` names the fields"),
    )
}

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of a page")]
IdempotencyKey = Annotated[
    str | None,
    Header(description="Retrying with the same key returns the first response, once created"),
]

# Who may change what (reads need any role: servicekit's runtime checks that for every route).
SALES = [Depends(require(Role.SALES))]
SALES_OR_INTEGRATION = [Depends(require(Role.SALES, Role.INTEGRATION))]
ADMIN = [Depends(require(Role.ADMIN))]


def position_of(cursor: str | None) -> dict[str, Any] | None:
    """A cursor's content (None for the first page); 422 unless this service could issue it."""
    position = decode_cursor(cursor)
    try:
        storable(position)
    except ValueError:
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None
    return position


@asynccontextmanager
async def unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    async with runtime_of(request).sessionmaker() as session, session.begin():
        yield SqlUnitOfWork(session)


@contextmanager
def problems(field_prefix: str = "body.") -> Iterator[None]:
    """Domain and use-case errors as HTTP problems (raised after the rollback)."""
    try:
        yield
    except (
        OrderNotFound,
        CustomerNotFound,
        QuoteNotFound,
        AddressNotFound,
    ) as exc:
        raise NotFound(str(exc)) from None
    except IllegalTransition as exc:
        raise Conflict(str(exc), current_status=exc.status.value, action=exc.action) from None
    except InvalidOrder as exc:
        raise InvalidInput.field(f"{field_prefix}{exc.field}", exc.message) from None
    except MissingFields as exc:
        raise InvalidInput(
            str(exc),
            errors=[{"field": name, "message": "required"} for name in exc.fields],
        ) from None
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None
