"""Dead-letter topics: what a consumer could not process, with why, and how to replay it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from servicekit.settings import KafkaSettings

ORIGINAL_TOPIC = "dlq-original-topic"
ORIGINAL_PARTITION = "dlq-original-partition"
ORIGINAL_OFFSET = "dlq-original-offset"
CONSUMER = "dlq-consumer"
ERROR = "dlq-error"
ERROR_TYPE = "dlq-error-type"
ATTEMPTS = "dlq-attempts"
FAILED_AT = "dlq-failed-at"
REPLAYED_FROM = "dlq-replayed-from"

MAX_ERROR_LENGTH = 2000


def dead_letter_headers(
    record: ConsumerRecord[Any, Any], *, consumer: str, error: BaseException, attempts: int
) -> dict[str, str]:
    """The original message's headers plus ours, naming where it came from and why it failed.

    Text, as the broker publishes headers (and as `replay` reads them back).
    """
    ours = {
        ORIGINAL_TOPIC: record.topic,
        ORIGINAL_PARTITION: str(record.partition),
        ORIGINAL_OFFSET: str(record.offset),
        CONSUMER: consumer,
        ERROR: (str(error) or repr(error))[:MAX_ERROR_LENGTH],
        ERROR_TYPE: type(error).__name__,
        ATTEMPTS: str(attempts),
        FAILED_AT: datetime.now(UTC).isoformat(),
    }
    kept = {
        name: value.decode(errors="replace")
        for name, value in (record.headers or ())
        if name not in ours
    }
    return kept | ours


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter topic, as an operator sees it."""

    dlq_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def original_topic(self) -> str:
        return self.headers.get(ORIGINAL_TOPIC, self.dlq_topic.removesuffix(".dlq"))

    @property
    def error(self) -> str:
        return self.headers.get(ERROR, "")

    @property
    def position(self) -> tuple[int, int]:
        """Where it is in the dead-letter topic: partition and offset."""
        return self.partition, self.offset

    @property
    def origin(self) -> tuple[str, str, str] | None:
        """The message it was made of (topic, partition, offset); None without our headers."""
        partition, offset = self.headers.get(ORIGINAL_PARTITION), self.headers.get(ORIGINAL_OFFSET)
        if partition is None or offset is None:
            return None
        return self.original_topic, partition, offset

    @classmethod
    def from_record(cls, record: ConsumerRecord[Any, Any]) -> DeadLetter:
        return cls(
            dlq_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers={name: value.decode(errors="replace") for name, value in record.headers or ()},
        )


def copies_of(letters: Iterable[DeadLetter]) -> dict[tuple[int, int], DeadLetter]:
    """The letters made of a message an earlier letter (in the order given) was made of too, by
    their position, each with that earlier letter.

    A consumer that stops after it dead-letters a message and before its progress is committed
    reads the message again and dead-letters it again (by another consumer group, the same
    message is a letter of its own too). Replayed, every copy would be published again; each
    consumer's inbox makes the second a no-op, but once is enough.
    """
    first: dict[tuple[str, str, str], DeadLetter] = {}
    copies: dict[tuple[int, int], DeadLetter] = {}
    for letter in letters:
        if (origin := letter.origin) is None:
            continue
        if origin in first:
            copies[letter.position] = first[origin]
        else:
            first[origin] = letter
    return copies


def text_of(data: bytes | None, limit: int) -> str | None:
    """A key or value as text, cut to `limit` characters (saying how long it was)."""
    if data is None:
        return None
    text = data.decode(errors="replace")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def letter_document(
    letter: DeadLetter, limit: int, copy_of: DeadLetter | None = None
) -> dict[str, Any]:
    """A dead letter as an operator reads it (`suite-dlq list --json`, `GET /admin/dead-letters/…`):
    where it is, where it came from, why it failed, its key and value cut to `limit`, and the
    earlier letter of the same message it is a copy of (`copies_of`), if any."""
    return {
        "partition": letter.partition,
        "offset": letter.offset,
        "original": {
            "topic": letter.original_topic,
            "partition": letter.headers.get(ORIGINAL_PARTITION),
            "offset": letter.headers.get(ORIGINAL_OFFSET),
        },
        "consumer": letter.headers.get(CONSUMER),
        "error_type": letter.headers.get(ERROR_TYPE),
        "error": letter.error,
        "attempts": letter.headers.get(ATTEMPTS),
        "failed_at": letter.headers.get(FAILED_AT),
        "key": text_of(letter.key, limit),
        "value": text_of(letter.value, limit),
        "headers": letter.headers,
        "copy_of": (
            None if copy_of is None else {"partition": copy_of.partition, "offset": copy_of.offset}
        ),
    }


async def topic_partitions(kafka: KafkaSettings, topic: str) -> list[TopicPartition]:
    """The partitions of `topic` (none when it does not exist)."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [
        TopicPartition(topic, p["partition"])
        for entry in described
        if entry.get("error_code", 0) == 0
        for p in sorted(entry.get("partitions", []), key=lambda p: p["partition"])
    ]


@dataclass(frozen=True)
class TopicScan:
    """What a read of a topic up to its end found, and how much of the topic that was."""

    topic: str
    records: list[ConsumerRecord[bytes, bytes]]
    beginning: dict[int, int]  # partition -> first offset still in the log
    end: dict[int, int]  # partition -> end offset when the read began
    reached: dict[int, int]  # partition -> offset the read got to

    @property
    def available(self) -> int:
        """Messages held up to the end offsets (retention may have removed earlier ones)."""
        return sum(self.end[p] - self.beginning[p] for p in self.end)

    @property
    def complete(self) -> bool:
        """Whether every partition was read up to its end offset."""
        return all(self.reached[p] >= self.end[p] for p in self.end)

    def shortfall(self) -> list[str]:
        """`partition P: read up to offset X of Y` for each partition read only in part."""
        return [
            f"partition {p}: read up to offset {self.reached[p]} of {self.end[p]}"
            for p in sorted(self.end)
            if self.reached[p] < self.end[p]
        ]


async def scan_topic(kafka: KafkaSettings, topic: str, *, wait_seconds: float = 10.0) -> TopicScan:
    """Every record in `topic` up to its end offsets, read without a consumer group, within
    `wait_seconds`; the scan says how far each partition was read."""
    assigned = await topic_partitions(kafka, topic)
    if not assigned:
        return TopicScan(topic, [], {}, {}, {})
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        beginning = await consumer.beginning_offsets(assigned)
        end = await consumer.end_offsets(assigned)
        reached = {tp: beginning[tp] for tp in assigned}
        records: list[ConsumerRecord[bytes, bytes]] = []
        pending = {tp for tp in assigned if end[tp] > beginning[tp]}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while pending and loop.time() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, tp_records in batch.items():
                records.extend(r for r in tp_records if r.offset < end[tp])
                if tp_records:
                    reached[tp] = min(tp_records[-1].offset + 1, end[tp])
                if reached[tp] >= end[tp]:
                    pending.discard(tp)
        return TopicScan(
            topic,
            records,
            {tp.partition: beginning[tp] for tp in assigned},
            {tp.partition: end[tp] for tp in assigned},
            {tp.partition: max(reached[tp], beginning[tp]) for tp in assigned},
        )
    finally:
        await consumer.stop()


async def read_topic(
    kafka: KafkaSettings, topic: str, *, wait_seconds: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record in `topic` up to its current end, read without a consumer group."""
    return (await scan_topic(kafka, topic, wait_seconds=wait_seconds)).records


def dead_letters_of(scan: TopicScan) -> list[DeadLetter]:
    """The scanned records as dead letters, oldest first per partition."""
    letters = [DeadLetter.from_record(record) for record in scan.records]
    return sorted(letters, key=lambda letter: (letter.partition, letter.offset))


async def read_dead_letters(
    kafka: KafkaSettings, dlq_topic: str, *, wait_seconds: float = 10.0
) -> list[DeadLetter]:
    """Every message currently in `dlq_topic`, oldest first per partition (commits nothing)."""
    return dead_letters_of(await scan_topic(kafka, dlq_topic, wait_seconds=wait_seconds))


async def replay(
    kafka: KafkaSettings, letters: list[DeadLetter], *, producer: AIOKafkaProducer | None = None
) -> int:
    """Publish each dead letter again to its original topic, same key and value.

    The event keeps its id, so a consumer that did process it meanwhile ignores the copy.
    """
    own = producer is None
    if producer is None:
        producer = AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)
        await producer.start()
    try:
        for letter in letters:
            headers = [
                (name, value.encode())
                for name, value in letter.headers.items()
                if not name.startswith("dlq-")
            ]
            headers.append(
                (REPLAYED_FROM, f"{letter.dlq_topic}/{letter.partition}/{letter.offset}".encode())
            )
            await producer.send_and_wait(
                letter.original_topic, value=letter.value, key=letter.key, headers=headers
            )
        return len(letters)
    finally:
        if own:
            await producer.stop()
