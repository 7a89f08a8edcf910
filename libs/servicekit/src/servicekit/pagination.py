"""Keyset pagination: `limit` + an opaque cursor that names the last item of the previous page.

A cursor is `servicekit.http.encode_cursor` of a small JSON object (e.g. the last item's
`created_at` and `id`). Reading one back is where a forged or foreign cursor must end as a 422 on
`query.cursor` rather than as a database error, so every list reads it through `cursor_position`:

    after = cursor_position(cursor, created_at_and_id)           # None on the first page
    found = await uow.things.list(after=after, limit=limit + 1)   # one more than the page
    items, next_cursor = page_of(found, limit, created_at_and_id_of)
    return ThingPage(items=[ThingRead.of(t) for t in items], next_cursor=next_cursor)

where `class ThingPage(Page[ThingRead])` is the list's response schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import InvalidOperation
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field

from servicekit.api import storable
from servicekit.http import InvalidInput, decode_cursor, encode_cursor

T = TypeVar("T")
Item = TypeVar("Item")
ReadT = TypeVar("ReadT", bound=BaseModel)

NOT_THIS_LIST = "not a cursor of this list"


def cursor_position(cursor: str | None, read: Callable[[dict[str, Any]], T]) -> T | None:
    """What `read` makes of the cursor's content; None when there is no cursor (first page).

    `read` raises KeyError, TypeError or ValueError when the content is not one of its list's
    (another list's cursor, a forged one); that, like unstorable text in it, is a 422 naming
    `query.cursor`.
    """
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return read(storable(position))
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise InvalidInput.field("query.cursor", NOT_THIS_LIST) from None


def keys(*names: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A `read` for `cursor_position`: exactly these keys, their values in this order."""

    def read(position: dict[str, Any]) -> tuple[Any, ...]:
        if set(position) != set(names):
            raise ValueError("a cursor of another list")
        return tuple(position[name] for name in names)

    return read


def text(value: Any) -> str:
    """A cursor value that must be a string."""
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def aware_datetime(value: Any) -> datetime:
    """A cursor value written from a `timestamptz`: ISO 8601 with its UTC offset."""
    moment = datetime.fromisoformat(text(value))
    if moment.tzinfo is None:
        raise ValueError("a timestamp without its offset")
    return moment


def created_at_and_id(position: dict[str, Any]) -> tuple[datetime, str]:
    """A `read` for the most common cursor: `{"created_at": <ISO 8601>, "id": <text>}`."""
    return aware_datetime(position["created_at"]), text(position["id"])


class Created(Protocol):
    """Anything with a creation time and an id (dataclasses, rows, pydantic models)."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> Any: ...


def created_at_and_id_of(item: Created) -> dict[str, Any]:
    """The cursor content `created_at_and_id` reads back (the id as text, a UUID too)."""
    return {"created_at": item.created_at, "id": str(item.id)}


def next_cursor(
    page: Sequence[Item], more: bool, position: Callable[[Item], Mapping[str, Any]]
) -> str | None:
    """The cursor after the page's last item, or None when nothing comes after it."""
    if not more or not page:
        return None
    return encode_cursor(dict(position(page[-1])))


def page_of(
    found: Sequence[Item], limit: int, position: Callable[[Item], Mapping[str, Any]]
) -> tuple[list[Item], str | None]:
    """The page and its `next_cursor`, from `found` fetched with `limit + 1` rows.

    The extra row only says that there is more; it is not shown.
    """
    page = list(found[:limit])
    return page, next_cursor(page, len(found) > limit, position)


class Page(BaseModel, Generic[ReadT]):
    """One page of a list: the response schema of every list route (`class XPage(Page[XRead])`)."""

    items: list[ReadT]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")
