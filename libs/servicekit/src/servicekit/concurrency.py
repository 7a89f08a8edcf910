"""Optimistic concurrency over HTTP: `ETag` on reads, `If-Match` on changes (RFC 9110).

A resource's entity tag is a digest of its representation, so it changes whenever anything a
client can see changes, with no version column to maintain:

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: str, response: Response) -> ThingRead:
        return tagged(response, ThingRead.of(await things.get(thing_id)))  # sets `ETag`

    @router.patch("/things/{thing_id}")
    async def change_thing(thing_id: str, body: ThingUpdate, if_match: IfMatch = None) -> ...:
        async with transaction() as uow:
            current = await things.get(uow, thing_id, for_update=True)  # lock, then compare
            require_match(if_match, entity_tag(ThingRead.of(current)))
            ...

Compare under the row lock the change itself takes: two clients holding the same tag then
queue, and the second one's tag is stale once the first has committed (412). A request without
`If-Match` is not checked (clients that do not care keep working).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from servicekit.http import PreconditionFailed

R = TypeVar("R")

IfMatch = Annotated[
    str | None,
    Header(
        description="The `ETag` of the representation the change is based on: if the resource "
        "has changed since, nothing is changed and the answer is 412",
    ),
]
"""`if_match: IfMatch = None`: pass it on to `require_match`."""

IfNoneMatch = Annotated[
    str | None,
    Header(description="`ETag`s the client already has: 304 if the resource still has one"),
]


@dataclass(frozen=True)
class EntityTag:
    """One entity-tag: its opaque value and whether it is weak (`W/"..."`)."""

    opaque: str
    weak: bool = False

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


def entity_tag(representation: Any, *, weak: bool = False) -> str:
    """The `ETag` header value of a representation: a digest of its JSON form.

    A pydantic model, dataclass, dict... is encoded as FastAPI would (`jsonable_encoder`) with
    sorted keys, so equal content gives an equal tag in every process. It is a strong tag by
    default: the same content is served as the same bytes.
    """
    canonical = json.dumps(_json_form(representation), sort_keys=True, separators=(",", ":"))
    return str(EntityTag(hashlib.sha256(canonical.encode()).hexdigest()[:32], weak))


def _json_form(representation: Any) -> Any:
    """What `jsonable_encoder` gives; for a model, its JSON-mode dump as such, since the encoder
    would walk that dump again value by value (most of the cost of a tag, on every read)."""
    if isinstance(representation, BaseModel):
        return representation.model_dump(mode="json", by_alias=True)
    return jsonable_encoder(representation)


def tagged(response: Response, representation: R) -> R:
    """Put the representation's `ETag` on the response; returns the representation."""
    response.headers["ETag"] = entity_tag(representation)
    return representation


# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3).
# In a list, empty elements and whitespace around the commas are allowed (5.6.1).
_LISTED_TAG = re.compile(r'[ \t,]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)')


def parse_entity_tags(header: str) -> list[EntityTag] | None:
    """The tags of an `If-Match`/`If-None-Match` value; `[]` for `*`, None if malformed.

    Commas inside a quoted tag belong to the tag (they are allowed characters).
    """
    if header.strip() == "*":
        return []
    tags: list[EntityTag] = []
    position = 0
    while header[position:].strip(" \t,"):
        found = _LISTED_TAG.match(header, position)
        if found is None:
            return None
        tags.append(EntityTag(found.group(2), weak=found.group(1) is not None))
        position = found.end()
    return tags or None


def strong_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 8.8.3.2: both strong and the same opaque value."""
    return not a.weak and not b.weak and a.opaque == b.opaque


def weak_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 8.8.3.2: the same opaque value, weak or not."""
    return a.opaque == b.opaque


def _single(etag: str) -> EntityTag:
    tags = parse_entity_tags(etag)
    if not tags or len(tags) != 1:
        raise ValueError(f"not one entity-tag: {etag!r}")
    return tags[0]


def if_match_holds(if_match: str | None, current: str | None) -> bool:
    """RFC 9110 13.1.1: whether a change conditioned on `if_match` may go ahead.

    No header: yes. `*`: if the resource exists (`current` is not None). Otherwise only if one
    of the listed tags matches `current` by the strong comparison: a weak tag never does.
    """
    if if_match is None:
        return True
    tags = parse_entity_tags(if_match)
    if tags is None or current is None:
        return False
    if not tags:  # "*"
        return True
    now = _single(current)
    return any(strong_match(tag, now) for tag in tags)


def require_match(if_match: str | None, current: str | None) -> None:
    """Raise 412 (problem+json) unless `if_match_holds`; the body names the current tag."""
    if not if_match_holds(if_match, current):
        raise PreconditionFailed(
            "the resource has changed since it was read (If-Match does not match its ETag); "
            "read it again and reapply the change",
            current_etag=current,
        )


def not_modified(if_none_match: str | None, current: str) -> bool:
    """RFC 9110 13.1.2 for GET/HEAD: true when the client's copy is current (answer 304).

    Uses the weak comparison; `*` matches any existing representation.
    """
    if if_none_match is None:
        return False
    tags = parse_entity_tags(if_none_match)
    if tags is None:
        return False
    if not tags:
        return True
    now = _single(current)
    return any(weak_match(tag, now) for tag in tags)
