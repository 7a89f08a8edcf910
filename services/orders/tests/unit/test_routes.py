"""The HTTP routes in the order a request's path is matched against them (first match wins):
no route is hidden behind an earlier one that would take its path."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Match

from orders.entrypoints.http import ROUTERS


def first_match(path: str, method: str) -> APIRoute | None:
    """The route that answers `method path`: the first full match, else the first path match
    (which answers 405)."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    by_path = None
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return route
            if match == Match.PARTIAL and by_path is None:
                by_path = route
    return by_path


ROUTES = [
    (method, route) for router in ROUTERS for route in router.routes for method in route.methods
]


@pytest.mark.parametrize(
    ("method", "route"), ROUTES, ids=[f"{method} {route.path}" for method, route in ROUTES]
)
def test_each_route_answers_its_own_paths(method: str, route: APIRoute) -> None:
    path = re.sub(r"\{[^}]+\}", "id-4711", route.path)  # an id no literal segment spells
    assert first_match(path, method) is route
