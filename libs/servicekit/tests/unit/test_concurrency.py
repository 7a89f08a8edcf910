"""ETags and If-Match / If-None-Match per RFC 9110."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from servicekit.concurrency import (
    EntityTag,
    IfMatch,
    entity_tag,
    if_match_holds,
    not_modified,
    parse_entity_tags,
    require_match,
    strong_match,
    weak_match,
)
from servicekit.http import PROBLEM_JSON, PreconditionFailed, install_problem_handlers


class Thing(BaseModel):
    id: str
    name: str
    price: Decimal
    updated_at: datetime


THING = Thing(
    id="t-1", name="Bolt", price=Decimal("1.50"), updated_at=datetime(2026, 1, 1, tzinfo=UTC)
)


def test_the_tag_is_a_strong_digest_of_the_content() -> None:
    tag = entity_tag(THING)
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert len(tag) == 34
    assert entity_tag(THING.model_copy()) == tag
    assert entity_tag(THING.model_dump(mode="json")) == tag  # the same JSON, the same tag
    assert entity_tag(THING.model_copy(update={"name": "Nut"})) != tag
    assert entity_tag(THING, weak=True) == f"W/{tag}"


class Part(BaseModel):
    sku: str
    quantity: Decimal
    note: str | None = None


class Assembly(BaseModel):
    id: str
    parts: list[Part]
    made_by: str = Field(alias="madeBy")
    weights: dict[str, Decimal]
    built_at: datetime | None


def test_a_model_is_tagged_as_its_encoded_json_form() -> None:
    """Tags stay what FastAPI's encoder made of a model: a tag handed out before is still
    valid, and processes of different versions agree on it during a rolling upgrade."""
    assembly = Assembly(
        id="a-1",
        parts=[Part(sku="B-1", quantity=Decimal("2.500")), Part(sku="Ñ-2", quantity=Decimal(1))],
        madeBy="Zoë",
        weights={"b": Decimal("0.1"), "a": Decimal("-0")},
        built_at=datetime(2026, 1, 1, 12, 30, tzinfo=UTC),
    )
    encoded = jsonable_encoder(assembly)
    assert encoded["madeBy"] == "Zoë"  # by alias, as the encoder does
    assert entity_tag(assembly) == entity_tag(encoded)
    assert entity_tag(assembly) != entity_tag(assembly.model_dump(mode="json"))  # not by name


def test_key_order_does_not_change_the_tag() -> None:
    assert entity_tag({"a": 1, "b": [1, 2]}) == entity_tag({"b": [1, 2], "a": 1})


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"abc"', [EntityTag("abc")]),
        ('W/"abc"', [EntityTag("abc", weak=True)]),
        ('"a", W/"b" ,"c"', [EntityTag("a"), EntityTag("b", True), EntityTag("c")]),
        ('"a,b"', [EntityTag("a,b")]),  # a comma is a legal character of a tag
        (', "a",,', [EntityTag("a")]),  # empty list elements are allowed
        ('""', [EntityTag("")]),
        ("*", []),
        (" * ", []),
        ("abc", None),  # not quoted
        ('"a" "b"', None),  # no comma between
        ('"a', None),
        ('w/"a"', None),  # W/ is case-sensitive
        ("", None),
        ('"a", *', None),
    ],
)
def test_parsing_lists_of_entity_tags(header: str, tags: list[EntityTag] | None) -> None:
    assert parse_entity_tags(header) == tags


@pytest.mark.parametrize(
    ("a", "b", "strong", "weak"),
    # the table of RFC 9110 8.8.3.2
    [
        ('W/"1"', 'W/"1"', False, True),
        ('W/"1"', 'W/"2"', False, False),
        ('W/"1"', '"1"', False, True),
        ('"1"', '"1"', True, True),
    ],
)
def test_strong_and_weak_comparison(a: str, b: str, strong: bool, weak: bool) -> None:
    first, second = parse_entity_tags(a), parse_entity_tags(b)
    assert first
    assert second
    assert strong_match(first[0], second[0]) is strong
    assert weak_match(first[0], second[0]) is weak


def test_if_match() -> None:
    current = entity_tag(THING)
    assert if_match_holds(None, current)  # no precondition
    assert if_match_holds(current, current)
    assert if_match_holds(f'"other", {current}', current)
    assert if_match_holds("*", current)
    assert not if_match_holds("*", None)  # nothing there to match
    assert not if_match_holds(current, None)
    assert not if_match_holds('"other"', current)
    assert not if_match_holds(f"W/{current}", current)  # If-Match compares strongly
    assert not if_match_holds("garbage", current)


def test_require_match_raises_a_412_problem_naming_the_current_tag() -> None:
    current = entity_tag(THING)
    require_match(current, current)
    with pytest.raises(PreconditionFailed) as failed:
        require_match('"stale"', current)
    assert failed.value.status == 412
    assert failed.value.extensions == {"current_etag": current}


def test_if_none_match_uses_the_weak_comparison() -> None:
    current = entity_tag(THING)
    assert not not_modified(None, current)
    assert not_modified(current, current)
    assert not_modified(f"W/{current}", current)
    assert not_modified("*", current)
    assert not not_modified('"other"', current)
    assert not not_modified("garbage", current)


async def test_over_http_a_stale_if_match_is_a_412_problem() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    state = {"thing": THING}

    @app.get("/thing")
    async def read(response: Response) -> Thing:
        response.headers["ETag"] = entity_tag(state["thing"])
        return state["thing"]

    @app.patch("/thing")
    async def rename(name: str, response: Response, if_match: IfMatch = None) -> Thing:
        require_match(if_match, entity_tag(state["thing"]))
        state["thing"] = state["thing"].model_copy(update={"name": name})
        response.headers["ETag"] = entity_tag(state["thing"])
        return state["thing"]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        etag = (await client.get("/thing")).headers["ETag"]
        renamed = await client.patch("/thing?name=Nut", headers={"If-Match": etag})
        assert renamed.status_code == 200
        assert renamed.headers["ETag"] != etag

        stale = await client.patch("/thing?name=Screw", headers={"If-Match": etag})
        assert stale.status_code == 412
        assert stale.headers["content-type"] == PROBLEM_JSON
        problem = stale.json()
        assert problem["title"] == "Precondition Failed"
        assert problem["current_etag"] == renamed.headers["ETag"]
        assert (await client.get("/thing")).json()["name"] == "Nut"

        unconditional = await client.patch("/thing?name=Screw")
        assert unconditional.status_code == 200
