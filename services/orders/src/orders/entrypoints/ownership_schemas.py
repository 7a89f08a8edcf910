"""Bodies and parameters of owners: the list filters and reassignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from contracts.common import ShortText
from orders.entrypoints.shared_schemas import RequestBody
from servicekit.api import Storable

OwnerParam = Annotated[
    str | None,
    Query(max_length=200, description="The owner's subject; `me`: the caller's"),
    Storable,
]
TeamParam = Annotated[str | None, Query(max_length=200, description="The owning team"), Storable]

Subject = Annotated[str, Field(min_length=1, max_length=200)]


class Reassign(RequestBody):
    """The new owner; `team` given (or null) changes the team too, omitted keeps it."""

    owner: Subject
    team: ShortText | None = None


class BulkReassign(Reassign):
    ids: Annotated[list[str], Field(min_length=1, max_length=200)]


class OwnerRead(BaseModel):
    id: str
    owner: str | None
    team: str | None


class ReassignedPage(BaseModel):
    items: list[OwnerRead]
