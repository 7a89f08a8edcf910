"""How a consumer of batches reads them (ADR 34), without servers: the record FastStream woke it
with, then the ones already fetched behind it; a batch handed back seeks every partition it read
back to its first record."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faststream.kafka.message import KafkaAckableMessage

from contracts.topics import ORDERS_EVENTS
from servicekit.consumer import EventConsumer, HandBack, RetryPolicy
from servicekit.db import new_metadata


def record(partition: int, offset: int) -> Any:
    return SimpleNamespace(
        topic="orders.events", partition=partition, offset=offset, key=b"k", value=b"{", headers=()
    )


class FetchedConsumer(AIOKafkaConsumer):  # type: ignore[misc]
    """An aiokafka consumer that never connects: it holds records already fetched and notes
    what it is asked."""

    def __init__(self, fetched: dict[TopicPartition, list[Any]]) -> None:
        self.fetched = fetched
        self.asked: list[tuple[int, int | None]] = []
        self.seeks: dict[TopicPartition, int] = {}
        self.commits: list[dict[TopicPartition, int]] = []

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        self.asked.append((timeout_ms, max_records))
        return self.fetched

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks[partition] = offset

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("orders.events", partition) for partition in range(3)}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


class Batches(EventConsumer):
    """Notes each batch it is given; hands it back while `hand_back` is set."""

    def __init__(self, *, hand_back: bool = False) -> None:
        super().__init__(
            service="batches",
            group_id="batches",
            topic=ORDERS_EVENTS,
            handlers={},
            metadata=new_metadata(),
            sessionmaker=None,  # type: ignore[arg-type]  # process_batch is replaced
            retry=RetryPolicy(backoff_seconds=0.001),
            batch_size=50,
        )
        self.hand_back = hand_back
        self.batches: list[list[tuple[int, int]]] = []

    async def process_batch(self, records: Any) -> None:
        self.batches.append([(r.partition, r.offset) for r in records])
        if self.hand_back:
            raise HandBack("the database is away")


def message(first: Any, consumer: FetchedConsumer) -> KafkaAckableMessage:
    return KafkaAckableMessage(raw_message=first, body=b"", consumer=consumer)


async def test_a_batch_is_its_first_record_and_those_fetched_behind_it_taken_without_waiting() -> (
    None
):
    behind = {
        TopicPartition("orders.events", 0): [record(0, 8), record(0, 9)],
        TopicPartition("orders.events", 1): [record(1, 3)],
    }
    consumer = FetchedConsumer(behind)
    batches = Batches()

    await batches.on_batch(message(record(0, 7), consumer))
    await batches.close()

    assert batches.batches == [[(0, 7), (0, 8), (0, 9), (1, 3)]]  # each partition in order
    assert consumer.asked == [(0, 49)]  # no wait, and no more than a batch holds
    # After the batch: the position after each partition's last record.
    assert consumer.commits == [
        {TopicPartition("orders.events", 0): 10, TopicPartition("orders.events", 1): 4}
    ]
    assert consumer.seeks == {}


async def test_a_batch_handed_back_seeks_each_partition_it_read_to_its_first_record() -> None:
    behind = {
        TopicPartition("orders.events", 0): [record(0, 8)],
        TopicPartition("orders.events", 2): [record(2, 40), record(2, 41)],
    }
    consumer = FetchedConsumer(behind)
    batches = Batches(hand_back=True)

    await batches.on_batch(message(record(0, 7), consumer))
    await batches.close()

    assert consumer.commits == []
    assert consumer.seeks == {
        TopicPartition("orders.events", 0): 7,
        TopicPartition("orders.events", 2): 40,
    }


class FailingFetch(FetchedConsumer):
    """Its read of the records behind fails, as aiokafka's does with a partition's fetch error."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        raise KafkaError("a partition's fetch failed")


async def test_a_failed_read_behind_leaves_the_record_in_hand_handled_alone() -> None:
    consumer = FailingFetch({})
    batches = Batches()

    await batches.on_batch(message(record(0, 7), consumer))
    await batches.close()

    assert batches.batches == [[(0, 7)]]
    assert consumer.commits == [{TopicPartition("orders.events", 0): 8}]


class DeadLettering(Batches):
    """Dead-letters the first record of each batch (to a broker that acknowledges at once)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[int] = []

        async def publish(value: Any, topic: str, **options: Any) -> None:
            self.sent.append(len(self.sent))

        self._broker = SimpleNamespace(publish=publish)  # type: ignore[assignment]

    async def process_batch(self, records: Any) -> None:
        await super().process_batch(records)
        await self.dead_letter(records[0], ValueError("not an event"), attempts=1, event_type="x")


async def test_a_batch_with_a_dead_letter_is_committed_before_the_next_read() -> None:
    consumer = FetchedConsumer({})
    batches = Batches()
    await batches.on_batch(message(record(0, 7), consumer))
    await asyncio.sleep(0)  # the first batch's commit, in the background
    assert consumer.commits == [{TopicPartition("orders.events", 0): 8}]

    # Within the interval, a batch with a dead letter is still committed at once: a dead
    # letter is not in the inbox, so reading it again would send it again.
    dead_lettering = DeadLettering()
    dead_lettering.offsets = batches.offsets
    await dead_lettering.on_batch(message(record(0, 8), consumer))

    assert dead_lettering.sent == [0]
    assert consumer.commits[-1] == {TopicPartition("orders.events", 0): 9}
