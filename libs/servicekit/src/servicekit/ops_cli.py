"""`suite-ops lag|outbox`: consumer lag per partition, outbox backlog and parked outbox rows.

    suite-ops lag [--group orders] [--topic orders.events]  # committed=- : never committed
    suite-ops outbox [--service orders]                 # backlog, oldest age, parked rows
    suite-ops outbox retry --service orders ID [ID...]  # parked rows back into the queue
    suite-ops outbox retry --service orders --all

Kafka settings come from `KAFKA_*`; each service's database from `<SERVICE>_DATABASE_URL`.
Dead letters have their own command: `suite-dlq list|replay`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata
from sqlalchemy import func, select, update

from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.outbox import NOTIFY_CHANNEL, outbox_state
from servicekit.settings import KafkaSettings

SERVICES = ("orders", "inventory", "billing", "documents")


async def subscribed_topics(admin: AIOKafkaAdminClient, group: str) -> set[str]:
    """The topics the group's current members subscribe to (none when nobody is in the group)."""
    topics: set[str] = set()
    for response in await admin.describe_consumer_groups([group]):
        for described in response.to_object().get("groups", []):
            for member in described.get("members", []):
                with contextlib.suppress(Exception):  # another protocol's metadata: skip it
                    metadata = ConsumerProtocolMemberMetadata.decode(member["member_metadata"])
                    topics.update(metadata.subscription)
    return topics


async def consumer_lag(
    kafka: KafkaSettings, group: str, topics: Sequence[str] = ()
) -> list[tuple[str, int, int | None, int]]:
    """(topic, partition, committed offset or None, lag) of every partition the group consumes.

    The partitions are those of the topics the group has committed on, its members subscribe to,
    and `topics`. A partition without a committed offset counts from its beginning, where the
    suite's consumers start (`auto_offset_reset="earliest"`): a group that never committed shows
    everything as lag, not nothing.
    """
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = {
            tp: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            if meta.offset >= 0
        }
        wanted = {tp.topic for tp in committed} | await subscribed_topics(admin, group)
        wanted |= set(topics)
        partitions = set(committed)
        for entry in await admin.describe_topics(sorted(wanted)) if wanted else []:
            if entry.get("error_code", 0) == 0:
                for partition in entry.get("partitions", []):
                    partitions.add(TopicPartition(entry["topic"], partition["partition"]))
        ordered = sorted(partitions)
        end = await consumer.end_offsets(ordered) if ordered else {}
        uncommitted = [tp for tp in ordered if tp not in committed]
        beginning = await consumer.beginning_offsets(uncommitted) if uncommitted else {}
        return [
            (
                tp.topic,
                tp.partition,
                committed.get(tp),
                max(end[tp] - committed.get(tp, beginning.get(tp, 0)), 0),
            )
            for tp in ordered
        ]
    finally:
        await consumer.stop()
        await admin.close()


OUTBOX = new_metadata().tables["outbox"]
_PARKED = (OUTBOX.c.published_at.is_(None), OUTBOX.c.failed_at.is_not(None))


async def outbox_backlog(database_url: str) -> tuple[int, float, list[dict[str, Any]]]:
    """(events waiting, age in seconds of the oldest one, parked rows) of one service's outbox."""
    engine = make_engine(database_url, pool_size=1)
    try:
        count, oldest, _ = await outbox_state(make_sessionmaker(engine), OUTBOX)
        async with engine.connect() as connection:
            parked = await connection.execute(
                select(
                    OUTBOX.c.id,
                    OUTBOX.c.key,
                    OUTBOX.c.event_type,
                    OUTBOX.c.topic,
                    OUTBOX.c.failed_at,
                    OUTBOX.c.error,
                )
                .where(*_PARKED)
                .order_by(OUTBOX.c.id)
            )
            parked_rows = [dict(row) for row in parked.mappings()]
    finally:
        await engine.dispose()
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return count, age, parked_rows


async def retry_parked(database_url: str, ids: list[int] | None) -> int:
    """Put parked rows (all of them when `ids` is None) back in the queue; returns how many."""
    engine = make_engine(database_url, pool_size=1)
    chosen = () if ids is None else (OUTBOX.c.id.in_(ids),)
    try:
        async with engine.begin() as connection:
            retried = await connection.execute(
                update(OUTBOX).where(*_PARKED, *chosen).values(failed_at=None, error=None)
            )
            # Wakes the relays at commit, as a newly written event does.
            await connection.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))
    finally:
        await engine.dispose()
    return int(retried.rowcount)


def _database_url(service: str) -> str | None:
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if not url:
        print(f"{service}\t(no {service.upper()}_DATABASE_URL)", file=sys.stderr)
    return url


async def _outbox(args: argparse.Namespace) -> int:
    exit_code = 0
    for service in args.service or SERVICES:
        if not (url := _database_url(service)):
            exit_code = 2
            continue
        if args.action == "retry":
            retried = await retry_parked(url, None if args.all else args.ids)
            print(f"{service}\tretried {retried} parked row(s)")
            continue
        count, age, parked = await outbox_backlog(url)
        print(f"{service}\tunpublished={count}\toldest_age_seconds={age:.1f}\tparked={len(parked)}")
        for row in parked:
            print(
                f"{service}\tparked id={row['id']}\tkey={row['key']}\ttype={row['event_type']}"
                f"\tfailed_at={row['failed_at'].isoformat()}\terror={row['error']}"
            )
    return exit_code


async def _run(args: argparse.Namespace) -> int:
    if args.command == "lag":
        kafka = KafkaSettings()
        total = 0
        topics = [kafka.topic(name) for name in args.topic or ()]
        for group in args.group or [kafka.topic_prefix + s for s in SERVICES]:
            for topic, partition, offset, lag in await consumer_lag(kafka, group, topics):
                committed = "-" if offset is None else offset
                print(f"{group}\t{topic}\t{partition}\tcommitted={committed}\tlag={lag}")
                total += lag
        print(f"total lag: {total}", file=sys.stderr)
        return 0
    return await _outbox(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lag = sub.add_parser("lag", help="consumer lag per partition of the services' groups")
    lag.add_argument("--group", action="append", help="a consumer group (default: all four)")
    lag.add_argument(
        "--topic",
        action="append",
        help="a catalogue topic to include even if the group has neither committed on it nor a "
        "member subscribed to it (e.g. orders.events)",
    )
    outbox = sub.add_parser(
        "outbox", help="outbox events waiting, the oldest one's age, and parked rows"
    )
    outbox.add_argument("--service", action="append", choices=SERVICES)
    actions = outbox.add_subparsers(dest="action")
    retry = actions.add_parser("retry", help="put parked rows back in the queue (after a fix)")
    retry.add_argument("--service", action="append", choices=SERVICES, required=True)
    chosen = retry.add_mutually_exclusive_group(required=True)
    chosen.add_argument("ids", nargs="*", type=int, default=[], help="ids of parked rows")
    chosen.add_argument("--all", action="store_true", help="every parked row")
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "retry" and not args.all and not args.ids:
        parser.error("outbox retry: give row ids or --all")
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
