"""`suite-topics ensure|check|list`: the catalogue's topics (and their dead-letter twins) as
configured: partitions, replication factor, `min.insync.replicas` and retention.

    suite-topics ensure [--alter]   # create what is missing; report drift (--alter: fix configs)
    suite-topics check              # exit 1 when a topic is missing or differs
    suite-topics list

Partitions come from the catalogue (dead-letter topics 1); the rest from the environment (or the
flags of the same name):

    KAFKA_REPLICATION_FACTOR     1
    KAFKA_MIN_INSYNC_REPLICAS    2 from a replication factor of 3 on, else 1
    KAFKA_RETENTION_MS           604800000 (7 days): event topics
    KAFKA_DLQ_RETENTION_MS       2592000000 (30 days): dead-letter topics

Drift on an existing topic is reported, never repaired silently: fewer partitions or another
replication factor need a decision (`kafka-topics.sh --alter`, a partition reassignment);
`--alter` sets `min.insync.replicas` and `retention.ms` (AlterConfigs: other topic-level settings
return to the broker's defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from contracts import CATALOGUE
from servicekit.settings import KafkaSettings

RETENTION_MS = 7 * 24 * 3600 * 1000
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000
CHECKED_CONFIGS = ("min.insync.replicas", "retention.ms")


@dataclass(frozen=True)
class TopicPolicy:
    """How the suite's topics are created: replication and retention."""

    replication_factor: int = 1
    min_insync_replicas: int | None = None  # None: 2 from a replication factor of 3, else 1
    retention_ms: int = RETENTION_MS
    dlq_retention_ms: int = DLQ_RETENTION_MS

    @property
    def min_insync(self) -> int:
        if self.min_insync_replicas is not None:
            return self.min_insync_replicas
        return 2 if self.replication_factor >= 3 else 1

    @classmethod
    def from_environment(cls) -> TopicPolicy:
        def number(name: str) -> int | None:
            value = os.environ.get(name, "").strip()
            return int(value) if value else None

        return cls(
            replication_factor=number("KAFKA_REPLICATION_FACTOR") or 1,
            min_insync_replicas=number("KAFKA_MIN_INSYNC_REPLICAS"),
            retention_ms=number("KAFKA_RETENTION_MS") or RETENTION_MS,
            dlq_retention_ms=number("KAFKA_DLQ_RETENTION_MS") or DLQ_RETENTION_MS,
        )


def planned_topics(
    replication_factor: int = 1, prefix: str = "", policy: TopicPolicy | None = None
) -> list[NewTopic]:
    """Every topic of the catalogue and, for the consumed ones, a `.dlq` twin."""
    policy = policy or TopicPolicy(replication_factor=replication_factor)

    def topic(name: str, partitions: int, retention_ms: int) -> NewTopic:
        configs = {"min.insync.replicas": str(policy.min_insync), "retention.ms": str(retention_ms)}
        return NewTopic(prefix + name, partitions, policy.replication_factor, topic_configs=configs)

    topics = []
    for entry in CATALOGUE:
        topics.append(topic(entry.name, entry.partitions, policy.retention_ms))
        if entry.dead_letter:
            topics.append(topic(entry.dlq, 1, policy.dlq_retention_ms))
    return topics


@dataclass
class TopicReport:
    created: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # one line per difference
    altered: list[str] = field(default_factory=list)


async def _drift(admin: AIOKafkaAdminClient, planned: list[NewTopic]) -> dict[str, list[str]]:
    """Per existing planned topic, how it differs from the plan."""
    by_name = {t.name: t for t in planned}
    described = await admin.describe_topics(list(by_name))
    found: dict[str, list[str]] = {}
    for entry in described:
        name = entry.get("topic")
        if entry.get("error_code", 0) != 0 or name not in by_name:
            continue
        want = by_name[name]
        partitions = entry.get("partitions", [])
        differences = []
        if len(partitions) != want.num_partitions:
            differences.append(f"partitions {len(partitions)}, planned {want.num_partitions}")
        replicas = {len(p.get("replicas", [])) for p in partitions}
        if replicas != {want.replication_factor}:
            differences.append(
                f"replication factor {'/'.join(map(str, sorted(replicas)))}, "
                f"planned {want.replication_factor}"
            )
        found[name] = differences
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, dict.fromkeys(CHECKED_CONFIGS))
        for name in found
    ]
    for response in await admin.describe_configs(resources) if resources else []:
        for resource in response.to_object().get("resources", []):
            name = resource["resource_name"]
            actual = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
            for key, planned_value in by_name[name].topic_configs.items():
                if actual.get(key) != planned_value:
                    found[name].append(f"{key} {actual.get(key)}, planned {planned_value}")
    return {name: lines for name, lines in found.items() if lines}


async def reconcile_topics(
    kafka: KafkaSettings, policy: TopicPolicy, *, create: bool = True, alter: bool = False
) -> TopicReport:
    """Create the missing topics (when `create`), report how existing ones differ from the
    policy, and with `alter` set their `min.insync.replicas` and `retention.ms`."""
    planned = planned_topics(prefix=kafka.topic_prefix, policy=policy)
    report = TopicReport()
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in planned if t.name not in existing]
        if missing and create:
            await admin.create_topics(missing)
            report.created = [t.name for t in missing]
        elif missing:
            report.drift += [f"{t.name}: missing" for t in missing]
        drift = await _drift(admin, [t for t in planned if t.name in existing])
        report.drift += [f"{name}: {line}" for name, lines in drift.items() for line in lines]
        if alter:
            configs = [
                ConfigResource(ConfigResourceType.TOPIC, t.name, dict(t.topic_configs))
                for t in planned
                if t.name in drift
                and any(line.split(" ")[0] in CHECKED_CONFIGS for line in drift[t.name])
            ]
            if configs:
                await admin.alter_configs(configs)
                report.altered = [c.name for c in configs]
        return report
    finally:
        await admin.close()


async def ensure_topics(kafka: KafkaSettings, replication_factor: int = 1) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    policy = TopicPolicy(replication_factor=replication_factor)
    return (await reconcile_topics(kafka, policy)).created


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
    parser = argparse.ArgumentParser(
        prog="suite-topics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["ensure", "check", "list"])
    defaults = TopicPolicy.from_environment()
    parser.add_argument("--replication-factor", type=int, default=defaults.replication_factor)
    parser.add_argument("--min-insync-replicas", type=int, default=defaults.min_insync_replicas)
    parser.add_argument("--retention-ms", type=int, default=defaults.retention_ms)
    parser.add_argument("--dlq-retention-ms", type=int, default=defaults.dlq_retention_ms)
    parser.add_argument(
        "--alter", action="store_true", help="ensure: set min.insync.replicas and retention.ms"
    )
    args = parser.parse_args(argv)
    policy = TopicPolicy(
        args.replication_factor, args.min_insync_replicas, args.retention_ms, args.dlq_retention_ms
    )
    kafka = KafkaSettings()
    if args.command == "list":
        for topic in planned_topics(prefix=kafka.topic_prefix, policy=policy):
            settings = " ".join(f"{k}={v}" for k, v in topic.topic_configs.items())
            print(
                f"{topic.name}\t{topic.num_partitions} partitions\t"
                f"replication factor {topic.replication_factor}\t{settings}"
            )
        return 0
    report = asyncio.run(
        reconcile_topics(kafka, policy, create=args.command == "ensure", alter=args.alter)
    )
    if args.command == "ensure":
        created = report.created
        print(f"created {len(created)} topic(s)" + (f": {', '.join(created)}" if created else ""))
    for line in report.drift:
        print(f"drift: {line}", file=sys.stderr)
    if report.altered:
        print(f"altered the configuration of {len(report.altered)} topic(s)")
    if args.command == "check":
        print(f"{len(report.drift)} difference(s) from the plan")
        return 1 if report.drift else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
