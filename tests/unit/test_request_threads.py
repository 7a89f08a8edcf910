"""No request of any service goes through a worker thread for its endpoint or dependencies.

FastAPI calls a plain `def` endpoint or dependency through a worker thread, on every request that
uses it; `async def` runs on the event loop. The thread hop costs about 150 µs of CPU per
request on our machines (docs/performance.md, the twenty-third round), more than the work
these functions do, which is reading the request's state or building a filter. Work that really
blocks (a file written with fsync, a key fetched over HTTP) goes to a thread explicitly, inside
an `async def`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, including those of included routers and mounted apps."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # an included router
        if included is not None:
            yield from api_routes(included.routes)
        mounted = getattr(route, "routes", None)  # a mounted app or router
        if mounted and not isinstance(route, APIRoute):
            yield from api_routes(mounted)


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    target = call if inspect.isroutine(call) or inspect.isclass(call) else type(call).__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def calls_in_worker_threads(app: FastAPI) -> tuple[int, set[str]]:
    """How many API routes `app` has, and the endpoints and dependencies FastAPI would call in
    a worker thread, each named with its module."""
    found: set[str] = set()

    def walk(dependant: Dependant) -> None:
        for sub in dependant.dependencies:
            walk(sub)
        call = dependant.call
        if call is not None and not runs_on_the_loop(call):
            name = getattr(call, "__qualname__", type(call).__qualname__)
            found.add(f"{call.__module__}.{name}")

    routes = list(api_routes(app.routes))
    for route in routes:
        walk(route.dependant)
    return len(routes), found


def service_app(service: str) -> FastAPI:
    if service == "console":
        from console.bootstrap import build_app

        return build_app()
    from servicekit.runtime import Runtime

    bootstrap = __import__(f"{service}.bootstrap", fromlist=["build_spec"])
    return Runtime(bootstrap.build_spec(), api=True, worker=False).create_app()


@pytest.mark.parametrize("service", ["orders", "inventory", "billing", "documents", "console"])
def test_no_endpoint_or_dependency_runs_in_a_worker_thread(service: str) -> None:
    routes, threaded = calls_in_worker_threads(service_app(service))

    assert routes > 20, "the walk found (almost) no routes: has FastAPI changed how it keeps them?"
    assert threaded == set(), "make these `async def` (see this module's docstring)"


def plain(request: Request) -> str:
    return request.url.path


async def awaited(request: Request) -> str:
    return request.url.path


def test_the_walk_finds_a_plain_dependency_behind_an_included_router() -> None:
    router = APIRouter()

    @router.get("/plain")
    async def with_plain(value: Annotated[str, Depends(plain)]) -> str:
        return value

    @router.get("/awaited")
    async def with_awaited(value: Annotated[str, Depends(awaited)]) -> str:
        return value

    @router.get("/sync")
    def sync_endpoint() -> str:
        return "sync"

    app = FastAPI()
    app.include_router(APIRouter(routes=[]), prefix="/empty")
    outer = APIRouter()
    outer.include_router(router, prefix="/inner")
    app.include_router(outer, prefix="/outer")

    routes, threaded = calls_in_worker_threads(app)

    assert routes == 3
    assert threaded == {f"{f.__module__}.{f.__qualname__}" for f in (plain, sync_endpoint)}
