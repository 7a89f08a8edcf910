"""`suite-ops lag|outbox`: consumer lag per partition and outbox backlog, for any environment.

Kafka settings come from `KAFKA_*`; each service's database from `<SERVICE>_DATABASE_URL`.
Dead letters have their own command: `suite-dlq list|replay`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from servicekit.db import make_engine
from servicekit.settings import KafkaSettings

SERVICES = ("orders", "inventory", "billing", "documents")


async def consumer_lag(kafka: KafkaSettings, group: str) -> list[tuple[str, int, int, int]]:
    """(topic, partition, committed offset, lag) for every partition the group has committed."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = sorted(tp for tp, meta in committed.items() if meta.offset >= 0)
        end = await consumer.end_offsets(partitions) if partitions else {}
        return [
            (tp.topic, tp.partition, committed[tp].offset, max(end[tp] - committed[tp].offset, 0))
            for tp in partitions
        ]
    finally:
        await consumer.stop()
        await admin.close()


async def outbox_backlog(database_url: str) -> tuple[int, float]:
    """(unpublished events, age in seconds of the oldest one) of one service's outbox."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            count, oldest = (
                await connection.execute(
                    text("SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL")
                )
            ).one()
    finally:
        await engine.dispose()
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return int(count), age


async def _run(args: argparse.Namespace) -> int:
    if args.command == "lag":
        kafka = KafkaSettings()
        total = 0
        for group in args.group or SERVICES:
            for topic, partition, offset, lag in await consumer_lag(kafka, group):
                print(f"{group}\t{topic}\t{partition}\tcommitted={offset}\tlag={lag}")
                total += lag
        print(f"total lag: {total}", file=sys.stderr)
        return 0
    exit_code = 0
    for service in args.service or SERVICES:
        url = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if not url:
            print(f"{service}\t(no {service.upper()}_DATABASE_URL)", file=sys.stderr)
            exit_code = 2
            continue
        count, age = await outbox_backlog(url)
        print(f"{service}\tunpublished={count}\toldest_age_seconds={age:.1f}")
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lag = sub.add_parser("lag", help="consumer lag per partition of the services' groups")
    lag.add_argument("--group", action="append", help="a consumer group (default: all four)")
    outbox = sub.add_parser("outbox", help="unpublished outbox events and the oldest one's age")
    outbox.add_argument("--service", action="append", choices=SERVICES)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
