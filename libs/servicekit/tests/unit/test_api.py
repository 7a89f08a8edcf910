"""Router parameters, storable request bodies, the problem table and error mapping."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import ConfigDict, ValidationError

from servicekit.api import (
    NO_NUL,
    Cursor,
    ErrorTable,
    IdempotencyKey,
    Limit,
    RequestBody,
    Storable,
    described_problems,
    problem_responses,
    problems_from,
    storable,
)
from servicekit.http import Conflict, NotFound, Problem, install_problem_handlers


class Line(RequestBody):
    sku: str
    notes: list[str] = []


class Trimmed(RequestBody):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    attributes: dict[str, str] = {}


def parameter_app() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things")
    async def list_things(
        limit: Limit = 50,
        cursor: Cursor = None,
        q: Annotated[str | None, Query(max_length=200), Storable] = None,
        ref: Annotated[str | None, Query(pattern=NO_NUL)] = None,
    ) -> dict[str, Any]:
        return {"limit": limit, "cursor": cursor, "q": q, "ref": ref}

    @app.post("/lines")
    async def create(line: Line, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        return {"sku": line.sku, "key": idempotency_key}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


async def test_limit_defaults_and_bounds() -> None:
    async with parameter_app() as client:
        default = await client.get("/things")
        largest = await client.get("/things", params={"limit": 200})
        zero = await client.get("/things", params={"limit": 0})
        too_many = await client.get("/things", params={"limit": 201})
    assert default.json()["limit"] == 50
    assert largest.json()["limit"] == 200
    assert fields(zero) == ["query.limit"]
    assert fields(too_many) == ["query.limit"]


async def test_a_validation_error_carries_its_type_and_limit() -> None:
    async with parameter_app() as client:
        zero = await client.get("/things", params={"limit": 0})
        missing = await client.post("/lines", json={})
    (bound,) = zero.json()["errors"]
    assert (bound["type"], bound["limit"]) == ("greater_than_equal", "1")
    (absent,) = missing.json()["errors"]
    assert absent["type"] == "missing"
    assert "limit" not in absent


async def test_cursor_is_optional_and_bounded() -> None:
    async with parameter_app() as client:
        none = await client.get("/things")
        given = await client.get("/things", params={"cursor": "abc"})
        longest = await client.get("/things", params={"cursor": "a" * 1000})
        too_long = await client.get("/things", params={"cursor": "a" * 1001})
    assert none.json()["cursor"] is None
    assert given.json()["cursor"] == "abc"
    assert longest.status_code == 200
    assert fields(too_long) == ["query.cursor"]


async def test_idempotency_key_comes_from_its_header() -> None:
    async with parameter_app() as client:
        without = await client.post("/lines", json={"sku": "A"})
        keyed = await client.post("/lines", json={"sku": "A"}, headers={"Idempotency-Key": "k-1"})
    assert without.json() == {"sku": "A", "key": None}
    assert keyed.json() == {"sku": "A", "key": "k-1"}


async def test_query_parameters_refuse_nul() -> None:
    async with parameter_app() as client:
        q = await client.get("/things", params={"q": "a\x00b"})
        ref = await client.get("/things", params={"ref": "\x00"})
        fine = await client.get("/things", params={"q": "añb", "ref": "x"})
    assert fields(q) == ["query.q"]
    assert fields(ref) == ["query.ref"]
    assert fine.json()["q"] == "añb"


async def test_request_bodies_refuse_unknown_fields_and_nul() -> None:
    async with parameter_app() as client:
        unknown = await client.post("/lines", json={"sku": "A", "colour": "red"})
        nul = await client.post("/lines", json={"sku": "A\x00"})
        nested = await client.post("/lines", json={"sku": "A", "notes": ["ok", "b\x00d"]})
    assert fields(unknown) == ["body.colour"]
    assert fields(nul) == ["body.sku"]
    assert fields(nested) == ["body.notes"]


def test_storable_looks_into_containers_and_refuses_surrogates() -> None:
    assert storable({"a": ["b", ("c",)], "n": 1}) == {"a": ["b", ("c",)], "n": 1}
    for bad in ("\x00", ["ok", "\x00"], {"k\x00": "v"}, {"k": ("\x00",)}, "\ud800", "x\udfffy"):
        with pytest.raises(ValueError, match="NUL characters or unpaired surrogates"):
            storable(bad)


@pytest.mark.parametrize(
    "text",
    ["", "plain ASCII", "Müller, Straße 5", "日本語", "😀 emoji", "\ud7ff\ue000", "\U0010ffff"],
)
def test_storable_takes_any_text_without_nul_or_surrogates(text: str) -> None:
    assert storable(text) is text


@pytest.mark.parametrize("surrogate", [0xD800, 0xDBFF, 0xDC00, 0xDFFF])
def test_storable_refuses_every_surrogate_among_other_characters(surrogate: int) -> None:
    # Non-ASCII around it, so the check cannot stop at "all ASCII".
    with pytest.raises(ValueError, match="unpaired surrogates"):
        storable(f"Straße {chr(surrogate)} 日本")


def test_a_subclass_may_strip_whitespace_and_keeps_the_guards() -> None:
    assert Trimmed(name="  Ann ").name == "Ann"
    with pytest.raises(ValidationError, match="extra"):
        Trimmed.model_validate({"name": "Ann", "age": 3})
    with pytest.raises(ValidationError, match="attributes"):
        Trimmed(name="Ann", attributes={"colour": "r\x00ed"})


def test_problem_responses_document_problem_json() -> None:
    responses = problem_responses(404, 422)
    assert list(responses) == [404, 422]
    assert responses[404] == {
        "description": "No such resource",
        "content": {"application/problem+json": {}},
    }
    assert described_problems({409: "Not failed"})[409]["description"] == "Not failed"
    with pytest.raises(KeyError):
        problem_responses(418)


class DomainError(Exception):
    pass


class UnknownThing(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no thing {sku}")
        self.sku = sku


def test_problems_from_maps_the_first_matching_class() -> None:
    table: ErrorTable = {
        UnknownThing: lambda exc: NotFound(str(exc), sku=exc.sku),
        DomainError: Conflict,
    }
    with pytest.raises(NotFound) as unknown, problems_from(table):
        raise UnknownThing("A-1")
    assert unknown.value.detail == "no thing A-1"
    assert unknown.value.extensions == {"sku": "A-1"}
    assert isinstance(unknown.value.__cause__, UnknownThing)

    with pytest.raises(Conflict) as refused, problems_from(table):
        raise DomainError("not now")
    assert refused.value.detail == "not now"

    with pytest.raises(KeyError), problems_from(table):
        raise KeyError("not in the table")

    with problems_from(table):
        pass  # nothing raised, nothing to map


async def test_problems_from_answers_as_problem_json() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things/{sku}")
    async def touch(sku: str) -> None:
        with problems_from({UnknownThing: lambda exc: NotFound(str(exc), sku=exc.sku)}):
            raise UnknownThing(sku)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/things/B-2")
    assert response.status_code == 404
    assert response.json()["sku"] == "B-2"
    assert response.json()["detail"] == "no thing B-2"
    assert issubclass(NotFound, Problem)
