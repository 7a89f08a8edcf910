"""Administrators' HTTP API of every service, under `/admin`: this service's outbox backlog and
parked rows (and retrying them), its consumer group's lag, and its dead letters (the `.dlq`
twins of the topics it consumes) with the replay of one message.

The same facts as the operator commands `suite-ops` and `suite-dlq`, answered by the service
about itself, so a web page (the console's operations page) can show them. Only `admin` may
call them. Kafka is reached with short-lived clients per request: an API process holds no
broker connection otherwise (docs/adr, "Operations over HTTP").
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from servicekit.auth import Role, require
from servicekit.dlq import (
    DeadLetter,
    copies_of,
    dead_letters_of,
    letter_document,
    replay,
    scan_topic,
)
from servicekit.http import Conflict, NotFound, Problem
from servicekit.operations import (
    consumer_lag,
    message_count,
    outbox_report,
    read_message,
    retry_parked_rows,
)

if TYPE_CHECKING:
    from servicekit.runtime import Runtime

MAX_TEXT = 20_000  # characters of a dead letter's key or value shown


class KafkaUnavailable(Problem):
    status = 503
    title = "Service unavailable"


class ParkedRowRead(BaseModel):
    id: int
    key: str
    event_type: str
    topic: str
    failed_at: datetime
    error: str | None


class OutboxRead(BaseModel):
    service: str
    unpublished: int = Field(description="Events waiting to be published (parked ones apart)")
    oldest_age_seconds: float = Field(description="Age of the oldest waiting; 0 when none")
    parked: list[ParkedRowRead] = Field(description="Rows the broker refused for good")


class OutboxRetry(BaseModel):
    model_config = {"extra": "forbid"}

    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=1000, description="Parked rows to retry; left out: all of them"
    )


class RetriedRead(BaseModel):
    retried: int


class PartitionLagRead(BaseModel):
    topic: str
    partition: int
    committed: int | None = Field(description="The group's committed offset; null: never")
    lag: int


class ConsumerLagRead(BaseModel):
    service: str
    group: str
    total: int
    partitions: list[PartitionLagRead]


class DeadLetterTopicRead(BaseModel):
    topic: str = Field(description="The consumed topic, as the catalogue names it")
    dead_letter_topic: str = Field(description="Its `.dlq` twin, as the broker names it")
    messages: int


class DeadLetterTopicsRead(BaseModel):
    service: str
    topics: list[DeadLetterTopicRead]


class OriginRead(BaseModel):
    topic: str
    partition: str | None
    offset: str | None


class PositionRead(BaseModel):
    partition: int
    offset: int


class DeadLetterRead(BaseModel):
    partition: int
    offset: int
    original: OriginRead
    consumer: str | None
    error_type: str | None
    error: str
    attempts: str | None
    failed_at: str | None
    key: str | None
    value: str | None
    headers: dict[str, str]
    copy_of: PositionRead | None = Field(
        default=None,
        description=(
            "The earlier letter of the same message (dead-lettered again after a restart, or by "
            "another consumer group): replaying one of them is enough"
        ),
    )

    @classmethod
    def of(cls, letter: DeadLetter, copy_of: DeadLetter | None = None) -> DeadLetterRead:
        return cls.model_validate(letter_document(letter, MAX_TEXT, copy_of))


class DeadLettersRead(BaseModel):
    topic: str
    dead_letter_topic: str
    complete: bool = Field(description="false: the topic was not read to its end in time")
    available: int
    messages: list[DeadLetterRead]


class ReplayRequest(BaseModel):
    model_config = {"extra": "forbid"}

    partition: Annotated[int, Field(ge=0, le=10_000)]
    offset: Annotated[int, Field(ge=0)]


class ReplayedRead(BaseModel):
    replayed: DeadLetterRead
    to_topic: str


Wait = Annotated[float, Query(ge=0.5, le=10, description="Seconds to read the topic")]


def admin_router(runtime: Runtime) -> APIRouter:
    """The `/admin` routes of `runtime`'s service (mounted by the runtime on API processes)."""
    router = APIRouter(
        prefix="/admin", tags=["administration"], dependencies=[Depends(require(Role.ADMIN))]
    )
    kafka = runtime.settings.kafka
    outbox = runtime.metadata.tables["outbox"]

    def consumed() -> dict[str, str]:
        """Catalogue name → physical name of each topic the service consumes."""
        return {
            s.topic.name: kafka.topic(s.topic.name) for s in runtime.spec.subscriptions(runtime)
        }

    def dead_letter_topic(topic: str) -> tuple[str, str]:
        physical = consumed().get(topic)
        if physical is None:
            raise NotFound(f"{runtime.name} consumes no topic {topic}")
        return topic, f"{physical}.dlq"

    @router.get("/outbox", response_model=OutboxRead)
    async def outbox_backlog() -> OutboxRead:
        """Events waiting in this service's outbox, the oldest one's age, and parked rows."""
        report = await outbox_report(runtime.engine, outbox)
        return OutboxRead(
            service=runtime.name,
            unpublished=report.unpublished,
            oldest_age_seconds=round(report.oldest_age_seconds, 3),
            parked=[ParkedRowRead.model_validate(row) for row in report.parked],
        )

    @router.post("/outbox/retry", response_model=RetriedRead)
    async def retry_parked(body: OutboxRetry) -> RetriedRead:
        """Parked rows back into the queue (after the cause is fixed); the relays wake up."""
        return RetriedRead(retried=await retry_parked_rows(runtime.engine, body.ids, outbox))

    @router.get("/consumer-lag", response_model=ConsumerLagRead, responses={503: {}})
    async def lag() -> ConsumerLagRead:
        """Per partition of the consumed topics: the group's committed offset and its lag."""
        try:
            found = await consumer_lag(kafka, runtime.consumer_group, list(consumed().values()))
        except KafkaError as exc:
            raise KafkaUnavailable(f"Kafka did not answer: {type(exc).__name__}") from exc
        return ConsumerLagRead(
            service=runtime.name,
            group=runtime.consumer_group,
            total=sum(lag for *_, lag in found),
            partitions=[
                PartitionLagRead(topic=t, partition=p, committed=c, lag=lag)
                for t, p, c, lag in found
            ],
        )

    @router.get("/dead-letters", response_model=DeadLetterTopicsRead, responses={503: {}})
    async def dead_letter_topics() -> DeadLetterTopicsRead:
        """The dead-letter twin of each consumed topic, with how many messages it holds."""
        topics = []
        try:
            for name, physical in consumed().items():
                count = await message_count(kafka, f"{physical}.dlq")
                topics.append(
                    DeadLetterTopicRead(
                        topic=name, dead_letter_topic=f"{physical}.dlq", messages=count
                    )
                )
        except KafkaError as exc:
            raise KafkaUnavailable(f"Kafka did not answer: {type(exc).__name__}") from exc
        return DeadLetterTopicsRead(service=runtime.name, topics=topics)

    @router.get(
        "/dead-letters/{topic}", response_model=DeadLettersRead, responses={404: {}, 503: {}}
    )
    async def dead_letters(
        topic: Annotated[str, Path(max_length=200)], wait: Wait = 5.0
    ) -> DeadLettersRead:
        """The messages of a consumed topic's `.dlq` twin: where each came from, why it failed,
        its key and value. `complete` is false when the read did not reach the end in time."""
        name, dlq_topic = dead_letter_topic(topic)
        try:
            scan = await scan_topic(kafka, dlq_topic, wait_seconds=wait)
        except KafkaError as exc:
            raise KafkaUnavailable(f"Kafka did not answer: {type(exc).__name__}") from exc
        letters = dead_letters_of(scan)
        copies = copies_of(letters)
        return DeadLettersRead(
            topic=name,
            dead_letter_topic=dlq_topic,
            complete=scan.complete,
            available=scan.available,
            messages=[DeadLetterRead.of(letter, copies.get(letter.position)) for letter in letters],
        )

    @router.post(
        "/dead-letters/{topic}/replay",
        response_model=ReplayedRead,
        responses={404: {}, 409: {}, 503: {}},
    )
    async def replay_one(
        topic: Annotated[str, Path(max_length=200)], body: ReplayRequest, wait: Wait = 5.0
    ) -> ReplayedRead:
        """Publish one dead letter again to its original topic, same key, value and event id
        (a consumer that processed it meanwhile ignores the copy). It stays in the `.dlq`."""
        _, dlq_topic = dead_letter_topic(topic)
        try:
            letter = await read_message(
                kafka, dlq_topic, body.partition, body.offset, wait_seconds=wait
            )
            if letter is None:
                raise NotFound(
                    f"no message at {dlq_topic} partition {body.partition} offset {body.offset}"
                )
            if letter.original_topic not in consumed().values():
                raise Conflict(
                    f"the message came from {letter.original_topic}, not a topic "
                    f"{runtime.name} consumes: not replayed"
                )
            await replay(kafka, [letter])
        except TimeoutError as exc:
            raise Conflict(f"{exc}; nothing replayed, try again") from exc
        except KafkaError as exc:
            raise KafkaUnavailable(f"Kafka did not answer: {type(exc).__name__}") from exc
        return ReplayedRead(replayed=DeadLetterRead.of(letter), to_topic=letter.original_topic)

    return router
