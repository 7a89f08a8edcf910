"""The CloudEvents 1.0 envelope every event of the suite travels in (structured JSON mode)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DataT = TypeVar("DataT", bound=BaseModel)

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event whose `data` is one of the suite's payload models.

    `correlationid`, `causationid`, `actor` and `sequence` are CloudEvents extension attributes
    (lower-case alphanumerics, as the specification requires). Unknown attributes are kept, so a
    consumer built against this version still reads events from a newer producer.
    """

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500, description="URI-reference of the producer")
    type: str = Field(min_length=1, max_length=200, description="e.g. suite.order.confirmed.v1")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = Field(
        default=None, max_length=200, description="The aggregate id: the order id for order events"
    )
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = Field(
        default=None, max_length=200, description="Shared by every event of one business flow"
    )
    causationid: str | None = Field(
        default=None, max_length=200, description="Id of the event or request that caused this one"
    )
    actor: str | None = Field(
        default=None, max_length=200, description="Who caused the change: a user or a system"
    )
    sequence: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Position of this event among its producer's events about the same subject (message"
            " key): 1, 2, 3... without gaps, in the order the producer committed them. A consumer"
            " applies an event whose sequence is not above the last it applied as stale. Absent"
            " from events of producers that do not number them."
        ),
    )
    data: DataT

    def __eq__(self, other: object) -> bool:
        # Equal by content, whatever the model: the typed event a consumer parses (see
        # `contracts.typed`) equals the same event built as `CloudEvent[Any]` by `new_event`.
        if not isinstance(other, CloudEvent):
            return NotImplemented
        return (
            self.__dict__ == other.__dict__ and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    def caused(
        self,
        event_type: str,
        data: BaseModel,
        *,
        source: str,
        subject: str | None = None,
    ) -> CloudEvent[Any]:
        """Build an event caused by this one, carrying its correlation forward."""
        return new_event(
            event_type,
            data,
            source=source,
            subject=subject if subject is not None else self.subject,
            correlation_id=self.correlationid or self.id,
            causation_id=self.id,
            actor=self.actor,
        )


def new_event(
    event_type: str,
    data: BaseModel,
    *,
    source: str,
    subject: str | None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    actor: str | None = None,
) -> CloudEvent[Any]:
    """Create a fresh event; a new flow correlates with its own id."""
    event_id = str(uuid.uuid4())
    return _ANY_EVENT(
        id=event_id,
        source=source,
        type=event_type,
        subject=subject,
        correlationid=correlation_id or event_id,
        causationid=causation_id,
        actor=actor,
        data=data,
    )


# Parametrized once: `CloudEvent[Any]` looks the class up in pydantic's cache on every use.
_ANY_EVENT = CloudEvent[Any]


def event_model(event_type: str) -> type[CloudEvent[Any]]:
    """The pydantic model of a whole event of one type (envelope + its payload)."""
    from contracts.events import EventType
    from contracts.typed import EVENT_MODELS

    return EVENT_MODELS[EventType(event_type)]


class RawEnvelope(BaseModel):
    """The envelope with its payload still untyped: the first parsing step of a consumer."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=200)
    time: datetime | None = None
    subject: str | None = None
    datacontenttype: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    actor: str | None = None
    sequence: int | None = Field(default=None, ge=1)
    data: dict[str, Any]
