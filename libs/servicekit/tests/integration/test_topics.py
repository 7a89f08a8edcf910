"""`suite-topics` against the real broker, run as an operator runs it: topics created with their
replication and retention settings, drift reported, configuration drift repaired on request."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from servicekit.settings import KafkaSettings
from servicekit.testing import console_script_result, eventually, run_console_script
from servicekit.topics import DLQ_RETENTION_MS, RETENTION_MS


async def test_topics_are_created_checked_and_repaired(kafka: KafkaSettings) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
    }
    events, dead_letters = kafka.topic("orders.events"), kafka.topic("orders.events.dlq")
    # The fixture created this prefix's topics as `suite-topics ensure` does.
    assert "0 difference(s)" in await run_console_script(["suite-topics", "check"], env)
    listed = await run_console_script(["suite-topics", "list"], env)
    assert f"{dead_letters}\t1 partitions\treplication factor 1\tmin.insync.replicas=1" in listed
    assert f"retention.ms={DLQ_RETENTION_MS}" in listed

    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        # Someone shortened a topic's retention by hand, and a dead-letter topic went away.
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, events, {"retention.ms": "1000"})]
        )
        await admin.delete_topics([dead_letters])

        async def deleted() -> bool:
            return dead_letters not in await admin.list_topics()

        await eventually(deleted)
    finally:
        await admin.close()

    drifted = await console_script_result(["suite-topics", "check"], env)
    assert drifted.returncode == 1
    assert f"drift: {events}: retention.ms 1000, planned {RETENTION_MS}" in drifted.stderr
    assert f"drift: {dead_letters}: missing" in drifted.stderr
    stricter = await console_script_result(
        ["suite-topics", "check", "--replication-factor", "3"], env
    )
    assert f"drift: {events}: replication factor 1, planned 3" in stricter.stderr
    assert f"drift: {events}: min.insync.replicas 1, planned 2" in stricter.stderr

    repaired = await run_console_script(["suite-topics", "ensure", "--alter"], env)
    assert f"created 1 topic(s): {dead_letters}" in repaired
    assert "altered the configuration of 1 topic(s)" in repaired
    assert "0 difference(s)" in await run_console_script(["suite-topics", "check"], env)
