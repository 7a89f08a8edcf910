"""What every route module shares: the transaction, error mapping, cursors, creating once and
roles. List parameters and the idempotency key come from servicekit.api."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.rows import canonical_id
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.addresses import AddressNotFound
from orders.domain.errors import IllegalTransition, InvalidOrder, MissingFields, NotAllowed
from orders.domain.price_lists import OverlappingPriceList
from orders.service_layer.catalogue import ItemNotFound
from orders.service_layer.customers import CustomerNotFound
from orders.service_layer.orders import OrderNotFound
from orders.service_layer.price_lists import PriceListNotFound
from orders.service_layer.quotes import QuoteNotFound
from servicekit.api import ErrorTable, described_problems, problem_responses, problems_from
from servicekit.auth import Forbidden, Role, require
from servicekit.concurrency import entity_tag, require_match, tagged
from servicekit.http import Conflict, InvalidInput, NotFound, idempotent, json_answer
from servicekit.pagination import keys, text
from servicekit.runtime import runtime_of

Entity = TypeVar("Entity")
Read = TypeVar("Read", bound=BaseModel)

PROBLEMS = described_problems(
    {
        403: "The caller's role may not do this",
        404: "No such resource",
        409: "Not allowed in the current state",
        422: (
            "Invalid input or missing fields; `errors` names the fields. A change whose event"
            " would exceed the event size limit is refused too, naming `limit_bytes`"
        ),
    }
)
# Routes that honour If-Match also answer 412.
CONDITIONAL_PROBLEMS = {**PROBLEMS, **problem_responses(412)}

# Who may change what (reads need any role: servicekit's runtime checks that for every route).
SALES = [Depends(require(Role.SALES))]
SALES_OR_INTEGRATION = [Depends(require(Role.SALES, Role.INTEGRATION))]
ADMIN = [Depends(require(Role.ADMIN))]


def creating(
    router: APIRouter, path: str, read: type[BaseModel], *, dependencies: Sequence[Any] = SALES
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The route of a POST that creates what `read` describes (201, once per Idempotency-Key,
    see `created_once`); sales may create unless `dependencies` says who else."""
    return router.post(
        path, dependencies=dependencies, status_code=201, response_model=read, responses=PROBLEMS
    )


def pdf_redirect(router: APIRouter, path: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The route of a GET answered with a 307 to a PDF of the documents service (see
    `redirect_to_document`), or a 404 while there is none."""
    return router.get(
        path,
        status_code=307,
        response_class=RedirectResponse,
        responses={307: {"description": "To the document's download URL"}, **PROBLEMS},
    )


def redirect_to_document(request: Request, download_path: str) -> RedirectResponse:
    base: str = runtime_of(request).settings.documents_url  # type: ignore[attr-defined]
    return RedirectResponse(f"{base.rstrip('/')}{download_path}", status_code=307)


def _unit_of_work(request: Request, session: AsyncSession) -> SqlUnitOfWork:
    settings: Any = runtime_of(request).settings
    return SqlUnitOfWork(
        session, catalogue_required=settings.catalogue_required, tax_rates=settings.tax_rates
    )


@asynccontextmanager
async def unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    async with runtime_of(request).sessionmaker() as session, session.begin():
        yield _unit_of_work(request, session)


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """For a request that only reads: its statements without a transaction around them, two
    round trips fewer (`servicekit.db.reads_on_their_own`). Nothing written, nothing locked."""
    async with runtime_of(request).read_sessionmaker() as session:
        yield _unit_of_work(request, session)


def problems(field_prefix: str = "body.") -> AbstractContextManager[None]:
    """Domain and use-case errors as HTTP problems (raised after the rollback)."""
    table: ErrorTable = {
        OrderNotFound: NotFound,
        CustomerNotFound: NotFound,
        ItemNotFound: NotFound,
        PriceListNotFound: NotFound,
        OverlappingPriceList: lambda exc: Conflict(str(exc), price_list_id=exc.other_id),
        QuoteNotFound: NotFound,
        AddressNotFound: NotFound,
        IllegalTransition: lambda exc: Conflict(
            str(exc), current_status=exc.status.value, action=exc.action, **exc.details
        ),
        InvalidOrder: lambda exc: InvalidInput.field(f"{field_prefix}{exc.field}", exc.message),
        MissingFields: lambda exc: InvalidInput(
            str(exc), errors=[{"field": name, "message": "required"} for name in exc.fields]
        ),
        NotAllowed: Forbidden,
    }
    return problems_from(table)


async def run_query(
    request: Request, use_case: Callable[..., Awaitable[Entity]], *args: Any, **kwargs: Any
) -> Entity:
    """`use_case(uow, *args, **kwargs)` in one transaction, its errors as problems."""
    with problems():
        async with unit_of_work(request) as uow:
            return await use_case(uow, *args, **kwargs)


async def run_read(
    request: Request,
    read: Callable[[SqlUnitOfWork, Entity], Awaitable[Read]],
    query: Callable[..., Awaitable[Entity]],
    *args: Any,
    **kwargs: Any,
) -> Read:
    """`read` what `query(uow, *args, **kwargs)` finds, in a unit of work that only reads."""
    return await _read_what_it_returns(reading, request, read, query, args, kwargs)


async def run_lookup(
    request: Request, query: Callable[..., Awaitable[Entity]], *args: Any, **kwargs: Any
) -> Entity:
    """What `query(uow, *args, **kwargs)` finds, in a unit of work that only reads."""
    with problems():
        async with reading(request) as uow:
            return await query(uow, *args, **kwargs)


async def run_use_case(
    request: Request,
    read: Callable[[SqlUnitOfWork, Entity], Awaitable[Read]],
    use_case: Callable[..., Awaitable[Entity]],
    *args: Any,
    **kwargs: Any,
) -> Read:
    """Run `use_case(uow, *args, **kwargs)` in one transaction and `read` what it returns."""
    return await _read_what_it_returns(unit_of_work, request, read, use_case, args, kwargs)


async def _read_what_it_returns(
    units: Callable[[Request], AbstractAsyncContextManager[SqlUnitOfWork]],
    request: Request,
    read: Callable[[SqlUnitOfWork, Entity], Awaitable[Read]],
    use_case: Callable[..., Awaitable[Entity]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Read:
    with problems():
        async with units(request) as uow:
            return await read(uow, await use_case(uow, *args, **kwargs))


async def run_conditional_change(
    request: Request,
    response: Response,
    if_match: str | None,
    read: Callable[[SqlUnitOfWork, Entity], Awaitable[Read]],
    current: Callable[[SqlUnitOfWork], Awaitable[Entity]],
    use_case: Callable[..., Awaitable[Entity]],
    *args: Any,
    **kwargs: Any,
) -> Read:
    """`run_use_case` for a change a client may base on a read (`If-Match`: 412 when stale).

    `current(uow)` locks and loads the resource: the tag is compared under the lock the change
    holds, so of two changes based on the same read only the first goes through. The answer
    carries the changed resource's `ETag`.
    """
    with problems():
        async with unit_of_work(request) as uow:
            if if_match is not None:
                require_match(if_match, entity_tag(await read(uow, await current(uow))))
            changed = await read(uow, await use_case(uow, *args, **kwargs))
    return tagged(response, changed)


def an_id(value: Any) -> str:
    """An id read back from a cursor (ValueError unless it is one)."""
    found = canonical_id(value)
    if found is None:
        raise ValueError("not an id")
    return found


def name_and_id(position: dict[str, Any]) -> tuple[str, str]:
    """The cursor position of lists by name: `{"name": ..., "id": ...}`."""
    name, last_id = keys("name", "id")(position)
    return text(name), an_id(last_id)


def name_and_id_of(item: Any) -> dict[str, Any]:
    return {"name": item.name, "id": item.id}


async def _once(
    request: Request,
    respond: Callable[[SqlUnitOfWork], Awaitable[tuple[int, Any]]],
    *,
    scope: str,
    key: str | None,
    body: Any,
) -> tuple[int, Any]:
    """`respond(uow)` in one transaction, once per Idempotency-Key (servicekit.http)."""
    with problems():
        async with unit_of_work(request) as uow:
            return await idempotent(
                uow.session,
                runtime_of(request).metadata,
                scope=scope,
                key=key,
                body=body,
                create=lambda: respond(uow),
            )


async def created_once(
    request: Request,
    *,
    scope: str,
    key: str | None,
    body: Any,
    create: Callable[[SqlUnitOfWork], Awaitable[BaseModel]],
) -> JSONResponse:
    """201 with what `create(uow)` made in one transaction; a retry with the same
    Idempotency-Key gets that again."""

    async def respond(uow: SqlUnitOfWork) -> tuple[int, Any]:
        return 201, await create(uow)

    status, content = await _once(request, respond, scope=scope, key=key, body=body)
    return json_answer(status, content)


async def changed_once(
    request: Request,
    if_match: str | None,
    read: Callable[[SqlUnitOfWork, Entity], Awaitable[BaseModel]],
    current: Callable[[SqlUnitOfWork], Awaitable[Entity]],
    change: Callable[[SqlUnitOfWork], Awaitable[Entity]],
    *,
    scope: str,
    key: str | None,
    body: Any,
) -> JSONResponse:
    """`run_conditional_change` run once per Idempotency-Key: a retry with the same key gets the
    first answer again (its `ETag` too) without `If-Match` being checked again, since the first
    change moved the tag on; the same key with another body → 422."""

    async def respond(uow: SqlUnitOfWork) -> tuple[int, Any]:
        if if_match is not None:
            require_match(if_match, entity_tag(await read(uow, await current(uow))))
        changed = await read(uow, await change(uow))
        return 200, {"etag": entity_tag(changed), "body": changed.model_dump(mode="json")}

    status, content = await _once(request, respond, scope=scope, key=key, body=body)
    return JSONResponse(content["body"], status_code=status, headers={"ETag": content["etag"]})
