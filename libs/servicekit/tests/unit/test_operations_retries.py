"""Operator questions to Kafka (here: consumer lag) survive its momentary, retriable answers."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, NotLeaderForPartitionError, UnknownError

from servicekit import operations
from servicekit.settings import KafkaSettings

LAG = [("orders.events", 0, None, 3)]


def answering_after(failures: list[Exception]) -> Any:
    calls: list[str] = []

    async def once(kafka: KafkaSettings, group: str, topics: Any) -> Any:
        calls.append(group)
        if failures:
            raise failures.pop(0)
        return LAG

    once.calls = calls  # type: ignore[attr-defined]
    return once


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(_: float) -> None:
        return None

    monkeypatch.setattr("asyncio.sleep", instant)


async def test_a_moving_leader_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    once = answering_after([NotLeaderForPartitionError(), KafkaConnectionError()])
    monkeypatch.setattr(operations, "_consumer_lag_once", once)

    assert await operations.consumer_lag(KafkaSettings(), "orders") == LAG
    assert len(once.calls) == 3


async def test_a_lasting_outage_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    failures: list[Exception] = [KafkaConnectionError() for _ in range(10)]
    once = answering_after(failures)
    monkeypatch.setattr(operations, "_consumer_lag_once", once)

    with pytest.raises(KafkaConnectionError):
        await operations.consumer_lag(KafkaSettings(), "orders")
    assert len(once.calls) == operations.KAFKA_ANSWER_ATTEMPTS


async def test_an_error_that_will_not_pass_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    once = answering_after([UnknownError()])
    monkeypatch.setattr(operations, "_consumer_lag_once", once)

    with pytest.raises(UnknownError):
        await operations.consumer_lag(KafkaSettings(), "orders")
    assert len(once.calls) == 1
