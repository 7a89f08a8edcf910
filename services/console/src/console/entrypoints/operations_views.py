"""For administrators: each service's outbox backlog and parked rows (retry them), its consumer
group's lag, its dead letters (one topic's messages, replay one). Over the services' `/admin`
API (servicekit.admin_api); a service that does not answer is shown as such, the others still."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain.user import User
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    perform,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import SERVICES, Service, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])


async def _state(api: SuiteApi, token: str, service: Service) -> dict[str, Any]:
    """One service's outbox, lag and dead-letter topics, or why it could not tell."""
    try:
        outbox, lag, dead = await asyncio.gather(
            api.read(token, service, "/admin/outbox"),
            api.read(token, service, "/admin/consumer-lag"),
            api.read(token, service, "/admin/dead-letters"),
        )
    except ServiceError as error:
        return {"service": service, "error": error}
    return {"service": service, "outbox": outbox, "lag": lag, "dead": dead["topics"]}


def _service(name: str) -> Service | None:
    return next((service for service in SERVICES if service == name), None)


async def _operations_page(
    request: Request, user: User, api: SuiteApi, problem: ServiceError | None = None
) -> Response:
    states = await asyncio.gather(*(_state(api, user.token, s) for s in SERVICES))
    context = {"states": states, **refusal(problem)}
    return render(request, "admin/operations.html", context, status_code=status_of(problem))


@router.get("/operations")
async def operations(request: Request, user: CurrentUser, api: Api) -> Response:
    if not user.may("admin"):
        return error_page(request, ServiceError(403, N_("Forbidden"), N_("For administrators.")))
    return await _operations_page(request, user, api)


@router.post("/operations/{service}/outbox/retry")
async def retry_parked(
    request: Request,
    service: str,
    user: CurrentUser,
    api: Api,
    row: Annotated[int | None, Form()] = None,
) -> Response:
    """One parked row (or all of the service's) back into its outbox queue."""
    chosen = _service(service)
    if chosen is None:
        return error_page(request, ServiceError(404, N_("Not found")))
    body = {"ids": [row]} if row is not None else {}
    return await perform(
        request,
        lambda: api.command(user.token, chosen, "/admin/outbox/retry", body),
        then="/operations",
        flash=N_("Parked rows of %(service)s put back in the queue."),
        refused=lambda error: _operations_page(request, user, api, error),
        service=chosen,
    )


async def _dead_letters_page(
    request: Request,
    user: User,
    api: SuiteApi,
    service: str,
    topic: str,
    problem: ServiceError | None = None,
) -> Response:
    chosen = _service(service)
    if chosen is None:
        return error_page(request, ServiceError(404, N_("Not found")))
    try:
        found = await api.read(user.token, chosen, path("/admin/dead-letters/{}", topic))
    except ServiceError as error:
        return error_page(request, error)
    context = {"service": chosen, "found": found, **refusal(problem)}
    return render(request, "admin/dead_letters.html", context, status_code=status_of(problem))


@router.get("/operations/{service}/dead-letters/{topic}")
async def dead_letters(
    request: Request, service: str, topic: str, user: CurrentUser, api: Api
) -> Response:
    return await _dead_letters_page(request, user, api, service, topic)


@router.post("/operations/{service}/dead-letters/{topic}/replay")
async def replay(
    request: Request,
    service: str,
    topic: str,
    user: CurrentUser,
    api: Api,
    partition: Annotated[int, Form(ge=0)],
    offset: Annotated[int, Form(ge=0)],
) -> Response:
    """One dead letter published again to the topic it came from."""
    chosen = _service(service)
    if chosen is None:
        return error_page(request, ServiceError(404, N_("Not found")))
    target = path("/admin/dead-letters/{}/replay", topic)
    return await perform(
        request,
        lambda: api.command(user.token, chosen, target, {"partition": partition, "offset": offset}),
        then=f"/operations/{chosen}/dead-letters/{topic}",
        flash=N_("Message %(partition)s/%(offset)s replayed."),
        refused=lambda error: _dead_letters_page(request, user, api, chosen, topic, error),
        partition=partition,
        offset=offset,
    )
