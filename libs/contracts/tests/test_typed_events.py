"""Typed events: one model per type, chosen by the CloudEvents `type` when parsing."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts import EVENT_MODELS, PAYLOADS, CloudEvent, EventType, new_event, parse_event
from contracts.events import OrderCancelled, StockReleased


def released() -> CloudEvent[StockReleased]:
    return new_event(
        EventType.STOCK_RELEASED,
        StockReleased(order_id="o-1", lines=[]),
        source="/inventory",
        subject="o-1",
    )


def test_every_type_has_its_model_with_its_payload_and_only_its_type() -> None:
    assert set(EVENT_MODELS) == set(EventType)
    for event_type, model in EVENT_MODELS.items():
        assert issubclass(model, CloudEvent[PAYLOADS[event_type]])  # type: ignore[misc,valid-type]
        schema = model.model_json_schema()
        assert schema["properties"]["type"]["const"] == event_type.value


def test_each_model_has_a_name_of_its_own_even_where_types_share_a_payload() -> None:
    # Documents that list schemas by name (AsyncAPI) showed one type's model for all the types
    # of a shared payload, with that one type's `type`.
    names = [model.__name__ for model in EVENT_MODELS.values()]
    assert len(set(names)) == len(names)
    assert PAYLOADS[EventType.TRANSFER_DISPATCHED] is PAYLOADS[EventType.TRANSFER_RECEIVED]
    assert EVENT_MODELS[EventType.TRANSFER_DISPATCHED].__name__ == "TransferDispatchedEvent"
    assert EVENT_MODELS[EventType.TRANSFER_RECEIVED].__name__ == "TransferReceivedEvent"
    assert EVENT_MODELS[EventType.STOCK_RELEASED].__name__ == "StockReleasedEvent"  # unshared


def test_parsing_picks_the_model_of_the_type() -> None:
    event = released()
    parsed = parse_event(event.model_dump_json().encode())
    assert type(parsed) is EVENT_MODELS[EventType.STOCK_RELEASED]
    assert isinstance(parsed, CloudEvent[StockReleased])  # type: ignore[misc]
    assert isinstance(parsed.data, StockReleased)
    assert parsed.model_dump() == event.model_dump()
    assert parsed.model_dump_json() == event.model_dump_json()  # republished byte for byte


def test_a_payload_of_another_type_is_refused() -> None:
    raw = json.loads(released().model_dump_json())
    raw["type"] = EventType.ORDER_CANCELLED.value  # the stock payload under an order type
    with pytest.raises(ValidationError, match="previous_status"):
        parse_event(json.dumps(raw))


def test_unknown_types_empty_and_broken_messages_are_refused() -> None:
    raw = json.loads(released().model_dump_json())
    with pytest.raises(ValueError, match=r"unknown event type 'suite\.nope\.v1'"):
        parse_event(json.dumps({**raw, "type": "suite.nope.v1"}))
    with pytest.raises(ValidationError, match="type"):
        parse_event(json.dumps({key: value for key, value in raw.items() if key != "type"}))
    with pytest.raises(ValidationError, match="Invalid JSON"):
        parse_event(b"\x00 not json")
    with pytest.raises(ValueError, match="empty"):
        parse_event(b"")


def test_a_handler_annotated_with_its_payload_reads_it_without_checks() -> None:
    raw = new_event(
        EventType.ORDER_CANCELLED,
        OrderCancelled(order_id="o-2", number="SO-2", reason="late", previous_status="open"),
        source="/orders",
        subject="o-2",
    ).model_dump_json()

    def reason(event: CloudEvent[OrderCancelled]) -> str | None:
        return event.data.reason

    assert reason(parse_event(raw)) == "late"


def test_a_parsed_event_equals_the_event_built_generically() -> None:
    event = released()
    parsed = parse_event(event.model_dump_json())
    assert parsed == event
    assert event == parsed
    assert parsed != event.model_copy(update={"subject": "o-2"})
