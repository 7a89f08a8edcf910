"""Offsets committed together, a little after the records they cover (servicekit.offsets),
against a consumer that never connects and notes each commit."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from servicekit.offsets import OffsetCommitter

P0 = TopicPartition("orders.events", 0)
P1 = TopicPartition("orders.events", 1)


def record(partition: int, offset: int) -> Any:
    return SimpleNamespace(topic="orders.events", partition=partition, offset=offset)


class NotingConsumer(AIOKafkaConsumer):  # type: ignore[misc]
    """Holds `held` partitions; notes each commit; fails the next `failures` commits."""

    def __init__(self, held: set[TopicPartition] | None = None) -> None:
        self.held = {P0, P1} if held is None else held
        self.commits: list[dict[TopicPartition, int]] = []
        self.failures = 0

    def assignment(self) -> set[TopicPartition]:
        return self.held

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaError("the coordinator moved")
        self.commits.append(dict(offsets))


async def test_the_first_batch_is_committed_at_once_with_each_partition_s_next_offset() -> None:
    consumer = NotingConsumer()
    offsets = OffsetCommitter(interval=60)

    await offsets.settled(consumer, [record(0, 7), record(0, 8), record(1, 3)])
    await asyncio.sleep(0)  # the background commit runs

    assert consumer.commits == [{P0: 9, P1: 4}]
    assert offsets.pending == {}


async def test_batches_settled_within_the_interval_are_committed_together_after_it() -> None:
    consumer = NotingConsumer()
    offsets = OffsetCommitter(interval=0.2)
    await offsets.settled(consumer, [record(0, 1)])
    await asyncio.sleep(0)

    await offsets.settled(consumer, [record(0, 2)])
    await offsets.settled(consumer, [record(1, 5), record(0, 3)])
    await asyncio.sleep(0.05)
    assert consumer.commits == [{P0: 2}]  # nothing more before the interval is over
    assert offsets.pending == {P0: 4, P1: 6}

    await asyncio.sleep(0.25)
    assert consumer.commits == [{P0: 2}, {P0: 4, P1: 6}]
    assert offsets.pending == {}


async def test_commit_now_commits_before_returning() -> None:
    consumer = NotingConsumer()
    offsets = OffsetCommitter(interval=60)
    await offsets.settled(consumer, [record(0, 1)])
    await asyncio.sleep(0)

    await offsets.settled(consumer, [record(0, 2)], commit_now=True)

    assert consumer.commits == [{P0: 2}, {P0: 3}]


async def test_an_interval_of_zero_commits_every_batch_before_returning() -> None:
    consumer = NotingConsumer()
    offsets = OffsetCommitter(interval=0)

    await offsets.settled(consumer, [record(0, 1)])
    await offsets.settled(consumer, [record(1, 1)])

    assert consumer.commits == [{P0: 2}, {P1: 2}]


async def test_a_partition_revoked_meanwhile_is_not_committed() -> None:
    consumer = NotingConsumer(held={P1})
    offsets = OffsetCommitter(interval=0)

    await offsets.settled(consumer, [record(0, 4), record(1, 9)])

    assert consumer.commits == [{P1: 10}]
    assert offsets.pending == {}


async def test_a_failed_commit_stays_pending_and_is_tried_again() -> None:
    consumer = NotingConsumer()
    consumer.failures = 1
    offsets = OffsetCommitter(interval=0.05)

    await offsets.settled(consumer, [record(0, 4)])
    await asyncio.sleep(0)
    assert consumer.commits == []
    assert offsets.pending == {P0: 5}

    await asyncio.sleep(0.1)
    assert consumer.commits == [{P0: 5}]


async def test_close_commits_what_is_pending() -> None:
    consumer = NotingConsumer()
    offsets = OffsetCommitter(interval=60)
    await offsets.settled(consumer, [record(0, 1)])
    await asyncio.sleep(0)
    await offsets.settled(consumer, [record(0, 2)])

    await offsets.close()

    assert consumer.commits == [{P0: 2}, {P0: 3}]


def test_a_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        OffsetCommitter(interval=-1)


class StuckConsumer(NotingConsumer):
    """A commit that never ends (aiokafka retrying a deleted topic's partition)."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await asyncio.Event().wait()


async def test_a_commit_that_never_ends_is_cut_short_and_kept_pending() -> None:
    consumer = StuckConsumer()
    offsets = OffsetCommitter(interval=0, timeout=0.05)

    await asyncio.wait_for(offsets.settled(consumer, [record(0, 4)]), timeout=5)

    assert offsets.pending == {P0: 5}  # read again after a restart; the inbox makes it a no-op
    await asyncio.wait_for(offsets.close(), timeout=5)  # a shutdown is not held up either
    assert offsets.pending == {P0: 5}
