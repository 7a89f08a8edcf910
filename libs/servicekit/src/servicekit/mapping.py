"""Copy a value between the layers' types that spell it with the same field names.

An address, payment terms or a tax line exist as an event payload (contracts, pydantic), as a
domain value (a frozen dataclass) and as an HTTP schema, always with the same fields. Instead of
a hand-written mapper per pair and service:

    address = copied_or_none(model.Address, event.billing_address)   # payload -> domain
    read = copied(AddressRead, address)                              # domain -> HTTP schema

The copy is shallow: a nested value (the tax lines of totals) is copied by its own call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

Value = TypeVar("Value")


def copied(kind: type[Value], source: object) -> Value:
    """A `kind` whose every field is the same-named attribute (or key, for a mapping) of `source`.

    `kind` is a dataclass or a pydantic model. A field `source` lacks is an error (AttributeError
    or KeyError), not a silent default: the two types are meant to say the same thing.
    """
    names = _field_names(kind)
    if isinstance(source, Mapping):
        values: dict[str, Any] = {name: source[name] for name in names}
    else:
        values = {name: getattr(source, name) for name in names}
    return kind(**values)


def copied_or_none(kind: type[Value], source: object | None) -> Value | None:
    """`copied`, passing None (an address left out) through."""
    return None if source is None else copied(kind, source)


# Per type: looked up on every copy (each address of each order listed).
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(kind: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = _declared_fields(kind)
    return names


def _declared_fields(kind: type[Any]) -> tuple[str, ...]:
    if dataclasses.is_dataclass(kind):
        return tuple(field.name for field in dataclasses.fields(kind) if field.init)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return tuple(kind.model_fields)
    raise TypeError(f"{kind!r} is neither a dataclass nor a pydantic model")
