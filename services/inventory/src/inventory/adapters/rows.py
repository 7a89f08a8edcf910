"""Rows to the values the repositories return."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def record_of(cls: type[T], row: Row[Any], **converted: Any) -> T:
    """A `cls` from the row's columns of the same names; `converted` gives some fields instead
    (enums from their stored text, say)."""
    columns = row._mapping
    values = {
        field.name: columns[field.name]
        for field in dataclasses.fields(cls)
        if field.name not in converted and field.name in columns
    }
    return cls(**values, **converted)
