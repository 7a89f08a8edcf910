"""Keyset pagination: cursors read back into positions, pages cut with their next cursor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from servicekit.http import InvalidInput, decode_cursor, encode_cursor
from servicekit.pagination import (
    Page,
    aware_datetime,
    created_at_and_id,
    created_at_and_id_of,
    cursor_position,
    keys,
    next_cursor,
    page_of,
    text,
)

T0 = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Thing:
    id: uuid.UUID
    created_at: datetime


def refused(cursor: str, read: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        cursor_position(cursor, read)
    assert caught.value.errors is not None
    assert [error["field"] for error in caught.value.errors] == ["query.cursor"]
    return caught.value


def test_no_cursor_is_the_first_page() -> None:
    assert cursor_position(None, created_at_and_id) is None


def test_created_at_and_id_round_trip() -> None:
    thing = Thing(uuid.uuid4(), T0)
    cursor = encode_cursor(created_at_and_id_of(thing))
    # The format other services' cursors already have: ISO 8601 with offset, id as text.
    assert decode_cursor(cursor) == {"created_at": "2026-03-01T12:30:00+00:00", "id": str(thing.id)}
    assert cursor_position(cursor, created_at_and_id) == (T0, str(thing.id))


def test_foreign_and_forged_cursors_are_refused() -> None:
    refused("%%%", created_at_and_id)
    refused(encode_cursor({"name": "Ann", "id": "1"}), created_at_and_id)
    refused(encode_cursor({"created_at": "yesterday", "id": "1"}), created_at_and_id)
    refused(encode_cursor({"created_at": "2026-03-01T12:30:00", "id": "1"}), created_at_and_id)
    refused(encode_cursor({"created_at": 5, "id": "1"}), created_at_and_id)
    refused(encode_cursor({"created_at": T0.isoformat(), "id": 1}), created_at_and_id)
    unstorable = refused(encode_cursor({"created_at": T0.isoformat(), "id": "a\x00"}), keys("id"))
    assert unstorable.detail == "not a cursor of this list"


def test_keys_wants_exactly_its_keys_in_order() -> None:
    cursor = encode_cursor({"id": "7", "sku": "A-1"})
    assert cursor_position(cursor, keys("sku", "id")) == ("A-1", "7")
    refused(cursor, keys("sku"))
    refused(cursor, keys("sku", "id", "name"))


def test_value_readers() -> None:
    assert text("x") == "x"
    with pytest.raises(TypeError):
        text(None)
    assert aware_datetime("2026-03-01T13:30:00+01:00") == T0
    with pytest.raises(ValueError, match="offset"):
        aware_datetime("2026-03-01T12:30:00")


def test_a_read_raising_a_decimal_error_is_a_422() -> None:
    from decimal import Decimal

    refused(encode_cursor({"value": "1,5"}), lambda position: Decimal(position["value"]))


def test_page_of_cuts_the_extra_row_and_points_after_the_last_shown() -> None:
    things = [Thing(uuid.uuid4(), T0 - timedelta(minutes=n)) for n in range(3)]
    page, cursor = page_of(things, 2, created_at_and_id_of)
    assert page == things[:2]
    assert cursor is not None
    assert cursor_position(cursor, created_at_and_id) == (things[1].created_at, str(things[1].id))

    last, end = page_of(things[2:], 2, created_at_and_id_of)
    assert last == things[2:]
    assert end is None
    assert page_of([], 2, created_at_and_id_of) == ([], None)


def test_next_cursor_needs_more_and_an_item() -> None:
    thing = Thing(uuid.uuid4(), T0)
    assert next_cursor([thing], False, created_at_and_id_of) is None
    assert next_cursor([], True, created_at_and_id_of) is None
    cursor = next_cursor([thing], True, lambda t: {"id": str(t.id)})
    assert cursor is not None
    assert decode_cursor(cursor) == {"id": str(thing.id)}


class ThingRead(BaseModel):
    id: uuid.UUID
    created_at: datetime


class ThingPage(Page[ThingRead]):
    pass


def test_a_page_schema_carries_its_items_and_cursor() -> None:
    thing = Thing(uuid.uuid4(), T0)
    items, cursor = page_of([thing, thing], 1, created_at_and_id_of)
    page = ThingPage(
        items=[ThingRead(id=t.id, created_at=t.created_at) for t in items], next_cursor=cursor
    )
    dumped = page.model_dump(mode="json")
    assert dumped == {
        "items": [{"id": str(thing.id), "created_at": "2026-03-01T12:30:00Z"}],
        "next_cursor": cursor,
    }
    schema = ThingPage.model_json_schema()
    assert schema["required"] == ["items", "next_cursor"]  # null at the end, never left out
    assert "next page" in schema["properties"]["next_cursor"]["description"]
