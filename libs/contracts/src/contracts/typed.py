"""Whole events, typed: one CloudEvent model per `EventType`, their union, and parsing into it.

Each model is generated from the `PAYLOADS` catalogue: `CloudEvent[<payload>]` with `type`
narrowed to its one value. They form a pydantic union discriminated by the CloudEvents `type`,
so one validation picks the right model and checks the envelope and payload together. A parsed
event is an instance of `CloudEvent[<payload>]`; a handler annotated
`event: CloudEvent[OrderCompleted]` reads `event.data` as an `OrderCompleted`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, RootModel, ValidationError, create_model

from contracts.envelope import CloudEvent
from contracts.events import PAYLOADS, EventType

_SHARED_PAYLOADS = {
    payload for payload in PAYLOADS.values() if list(PAYLOADS.values()).count(payload) > 1
}


def _model_name(event_type: EventType) -> str:
    """`<Payload>Event`; for a payload several types share, the type's own name (e.g.
    `TransferDispatchedEvent`): each model narrows `type` to its one value, and documents that
    list models by name (AsyncAPI) would otherwise show one type's model for all of them."""
    payload = PAYLOADS[event_type]
    if payload not in _SHARED_PAYLOADS:
        return f"{payload.__name__}Event"
    name = event_type.value.split(".")[1:-1]  # suite.<entity>.<happening>.v<N>
    return "".join(word.capitalize() for part in name for word in part.split("_")) + "Event"


def _typed_model(event_type: EventType) -> type[CloudEvent[Any]]:
    payload = PAYLOADS[event_type]
    generic: type[CloudEvent[Any]] = CloudEvent[payload]  # type: ignore[valid-type]
    type_field = generic.model_fields["type"]
    only_this_type: Any = Literal[event_type.value]  # built at runtime, opaque to mypy
    model: type[CloudEvent[Any]] = create_model(
        _model_name(event_type),
        __base__=generic,
        __module__=__name__,
        type=(only_this_type, Field(description=type_field.description)),
    )
    return model


EVENT_MODELS: dict[EventType, type[CloudEvent[Any]]] = {
    event_type: _typed_model(event_type) for event_type in EventType
}
"""The model of a whole event (envelope and payload) of each type."""

if TYPE_CHECKING:
    AnyEvent = CloudEvent[Any]
else:
    AnyEvent = Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="type")]  # noqa: UP007


class SuiteEvent(RootModel[AnyEvent]):
    """Any event of the suite; validation dispatches on `type` to that type's model."""


# The `source` of the suite's own services' events (each service's `SOURCE`).
SUITE_SOURCES = frozenset({"/orders", "/inventory", "/billing", "/documents"})


class UnknownEventType(ValueError):
    """An event of a type this version does not know: from the suite itself, a newer version of
    a service (contracts only grow: new types are added), else an outsider's mistake."""

    def __init__(self, event_type: str | None, source: str | None) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type
        self.source = source

    @property
    def from_the_suite(self) -> bool:
        return self.source in SUITE_SOURCES


def _source_of(value: bytes | str) -> str | None:
    try:
        found = json.loads(value).get("source")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def parse_event(value: bytes | str | None) -> CloudEvent[Any]:
    """JSON to the typed event of its `type`.

    Raises ValueError for an empty message, `UnknownEventType` (a ValueError) for an unknown
    type, pydantic's ValidationError (a ValueError too) for invalid JSON, envelope or payload;
    the message names the field.
    """
    if not value:
        raise ValueError("empty message")
    try:
        return SuiteEvent.model_validate_json(value).root
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "union_tag_invalid":
            tag = first.get("ctx", {}).get("tag")
            raise UnknownEventType(tag, _source_of(value)) from None
        raise
