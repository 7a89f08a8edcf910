"""Public event contracts of the sales order suite."""

from contracts.envelope import CONTENT_TYPE, CloudEvent, RawEnvelope, event_model, new_event
from contracts.events import PAYLOADS, EventType
from contracts.topics import CATALOGUE, Topic, topic_of

__all__ = [
    "CATALOGUE",
    "CONTENT_TYPE",
    "PAYLOADS",
    "CloudEvent",
    "EventType",
    "RawEnvelope",
    "Topic",
    "event_model",
    "new_event",
    "topic_of",
]
