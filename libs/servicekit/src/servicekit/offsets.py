"""Offsets committed a little after the effects they cover, not once per batch.

Committing a consumer's offsets is a round trip to the group coordinator, which appends the
commit to `__consumer_offsets` (Kafka's coordinator lingers a few milliseconds to group those
appends). Awaited after every batch, it held each consumer's next read back by that long and
cost the broker and the service a request per batch. Here a settled batch only notes its
positions; they are committed together once `interval` seconds have passed since the last
commit, in the background. The guarantee does not change: an offset is committed only after
the transaction of every record before it, so a crash or a rebalance redelivers at most the
last `interval` seconds of records, and the inbox makes each redelivery a no-op (ADR 1).
What the inbox does not remember is committed at once (`commit_now`): a dead letter, which a
redelivery would send again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

log = logging.getLogger(__name__)

# How long one commit may take. aiokafka retries a commit in a loop for as long as the broker
# answers with a retriable error, forever for a partition whose topic was deleted: without a
# bound a consumer's shutdown would wait for it. A commit cut short stays pending, like a failed
# one (its records are read again after a restart, and the inbox makes them no-ops).
COMMIT_TIMEOUT_SECONDS = 10.0


class OffsetCommitter:
    """The positions of one consumer's settled records, committed at most every `interval`
    seconds (0: at once, awaited, after every batch)."""

    def __init__(self, interval: float, *, timeout: float = COMMIT_TIMEOUT_SECONDS) -> None:
        if interval < 0:
            raise ValueError(f"the commit interval cannot be negative, not {interval}")
        self.interval = interval
        self.timeout = timeout
        self._pending: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._last_commit = 0.0
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def pending(self) -> dict[TopicPartition, int]:
        """Next offset to read, by partition, settled but not committed yet."""
        return dict(self._pending)

    async def settled(
        self,
        consumer: AIOKafkaConsumer,
        records: Iterable[ConsumerRecord[bytes, bytes]],
        *,
        commit_now: bool = False,
    ) -> None:
        """Every one of `records` has taken effect (or was dead-lettered or skipped)."""
        for record in records:
            self._keep({TopicPartition(record.topic, record.partition): record.offset + 1})
        self._consumer = consumer
        if commit_now or self.interval == 0 or self._closing:
            await self.commit()
        elif self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit_when_due())

    async def _commit_when_due(self) -> None:
        # Records settled while a commit is under way are committed by the next round.
        while self._pending:
            due = self._last_commit + self.interval - time.monotonic()
            if due > 0:
                await asyncio.sleep(due)
            await self.commit()

    async def commit(self) -> None:
        """Commit what is pending now, for the partitions the consumer still holds.

        A failed commit is logged, not raised, and kept pending for the next one: until then a
        restart or a rebalance reads its records again, and the inbox makes them no-ops."""
        consumer, offsets = self._consumer, self._pending
        if consumer is None or not offsets:
            return
        self._pending = {}
        self._last_commit = time.monotonic()
        held = consumer.assignment()
        offsets = {partition: offset for partition, offset in offsets.items() if partition in held}
        if not offsets:
            return  # revoked meanwhile: the partitions' new owner reads them again
        try:
            async with asyncio.timeout(self.timeout):
                await consumer.commit(offsets)
        except asyncio.CancelledError:  # `close` stopped the round: it commits them itself
            self._keep(offsets)
            raise
        except Exception as exc:  # KafkaError mostly; a commit in the background must not be lost
            log.warning("committing offsets %s failed (tried again later): %r", offsets, exc)
            self._keep(offsets)

    def _keep(self, offsets: dict[TopicPartition, int]) -> None:
        """Pending again, unless newer offsets of the partition were settled since."""
        for partition, offset in offsets.items():
            self._pending[partition] = max(self._pending.get(partition, 0), offset)

    async def close(self) -> None:
        """Commit what is pending (at a shutdown): fewer records read again at the next start.
        A batch settled after this (the consumer stops after it) is committed at once."""
        self._closing = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.commit()
