"""What a consumer asks of its broker's fetches: at once, or a wait for records to gather."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contracts import CloudEvent, EventType
from contracts.topics import ORDERS_EVENTS
from servicekit.consumer import FETCH_GATHER_BYTES, EventConsumer
from servicekit.db import new_metadata


class RecordingBroker:
    """Notes the options of each subscription (the consumer never connects here)."""

    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, dict[str, Any]]] = []

    def subscriber(self, topic: str, **options: Any) -> Callable[[Any], Any]:
        self.subscriptions.append((topic, options))
        return lambda handler: handler


def _consumer(**options: Any) -> EventConsumer:
    async def handle(event: CloudEvent[Any], session: Any) -> None:
        return None

    return EventConsumer(
        service="documents",
        group_id="documents",
        topic=ORDERS_EVENTS,
        handlers={EventType.ORDER_CANCELLED: handle},
        metadata=new_metadata(),
        sessionmaker=None,  # type: ignore[arg-type]  # nothing is consumed here
        batch_size=100,
        **options,
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {}),  # the broker's defaults: a fetch returns as soon as there is a record
        ({"fetch_wait_ms": 0}, {}),
        (
            {"fetch_wait_ms": 100},
            {"fetch_max_wait_ms": 100, "fetch_min_bytes": FETCH_GATHER_BYTES},
        ),
    ],
)
def test_a_fetch_waits_for_records_to_gather_only_when_asked(
    options: dict[str, Any], expected: dict[str, int]
) -> None:
    broker = RecordingBroker()
    _consumer(**options).register(broker)  # type: ignore[arg-type]
    [(topic, asked)] = broker.subscriptions
    assert topic == "orders.events"
    fetch = {name: value for name, value in asked.items() if name.startswith("fetch_")}
    assert fetch == expected
    assert asked["group_id"] == "documents"
