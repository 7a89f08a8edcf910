"""`suite-topics ensure|list`: create the catalogue's topics (and their dead-letter twins)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts import CATALOGUE
from servicekit.settings import KafkaSettings


def planned_topics(replication_factor: int = 1, prefix: str = "") -> list[NewTopic]:
    """Every topic of the catalogue and, for the consumed ones, a `.dlq` twin."""
    topics = []
    for topic in CATALOGUE:
        topics.append(NewTopic(prefix + topic.name, topic.partitions, replication_factor))
        if topic.dead_letter:
            topics.append(NewTopic(prefix + topic.dlq, 1, replication_factor))
    return topics


async def ensure_topics(kafka: KafkaSettings, replication_factor: int = 1) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            t
            for t in planned_topics(replication_factor, kafka.topic_prefix)
            if t.name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        return [t.name for t in missing]
    finally:
        await admin.close()


async def delete_topics(kafka: KafkaSettings) -> None:
    """Delete the catalogue's topics under `kafka.topic_prefix` (tests clean up after them)."""
    if not kafka.topic_prefix:
        raise ValueError("refusing to delete the unprefixed (shared) topics")
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = [t.name for t in planned_topics(1, kafka.topic_prefix) if t.name in existing]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def broker_version(kafka: KafkaSettings) -> str:
    """The API version the broker reports, as aiokafka sees it (e.g. '4.1')."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        version = admin._client.api_version
        return (
            ".".join(str(part) for part in version) if isinstance(version, tuple) else str(version)
        )
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suite-topics", description=__doc__)
    parser.add_argument("command", choices=["ensure", "list"])
    parser.add_argument(
        "--replication-factor",
        type=int,
        default=int(os.environ.get("KAFKA_REPLICATION_FACTOR", "1")),
    )
    args = parser.parse_args(argv)
    if args.command == "list":
        for topic in planned_topics(args.replication_factor, KafkaSettings().topic_prefix):
            print(f"{topic.name}\t{topic.num_partitions} partitions")
        return 0
    created = asyncio.run(ensure_topics(KafkaSettings(), args.replication_factor))
    print(f"created {len(created)} topic(s)" + (f": {', '.join(created)}" if created else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
