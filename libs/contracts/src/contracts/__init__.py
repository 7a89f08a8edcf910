"""Public event contracts of the sales order suite."""

from contracts.envelope import CONTENT_TYPE, CloudEvent, RawEnvelope, event_model, new_event
from contracts.events import PAYLOADS, EventType
from contracts.topics import CATALOGUE, Topic, topic_of
from contracts.typed import (
    EVENT_MODELS,
    SUITE_SOURCES,
    SuiteEvent,
    UnknownEventType,
    parse_event,
)

__all__ = [
    "CATALOGUE",
    "CONTENT_TYPE",
    "EVENT_MODELS",
    "PAYLOADS",
    "SUITE_SOURCES",
    "CloudEvent",
    "EventType",
    "RawEnvelope",
    "SuiteEvent",
    "Topic",
    "UnknownEventType",
    "event_model",
    "new_event",
    "parse_event",
    "topic_of",
]
