"""What the SQL repositories share: rows to the values they return, and the warehouse they
work in."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.model import MAIN_WAREHOUSE
from servicekit.unit_of_work import SqlRepository

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def record_of(cls: type[T], row: Row[Any], **converted: Any) -> T:
    """A `cls` from the row's columns of the same names; `converted` gives some fields instead
    (enums from their stored text, say)."""
    columns = row._mapping
    values = {
        name: columns[name]
        for name in _field_names(cls)
        if name not in converted and name in columns
    }
    return cls(**values, **converted)


@functools.cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    # `dataclasses.fields` builds its tuple anew on every call, for every row read.
    return tuple(field.name for field in dataclasses.fields(cls))


class WarehouseRepository(SqlRepository):
    """A SQL repository of one warehouse's rows (the main one: there is no other yet)."""

    def __init__(self, session: AsyncSession, warehouse: str = MAIN_WAREHOUSE) -> None:
        super().__init__(session)
        self.warehouse = warehouse
