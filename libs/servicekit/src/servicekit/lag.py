"""Consumer lag of a service's consumer group, as the Prometheus gauge `suite_consumer_lag`.

Every `interval` seconds the monitor reads the group's committed offsets (admin client) and the
end offsets of its topics (a consumer without a group, which commits nothing), and sets
`suite_consumer_lag{service, topic, partition}` to their difference. A partition the group has
not committed on yet counts from the partition's beginning, as the consumers start there
(`auto_offset_reset="earliest"`).

The value describes the whole group: every worker replica reports the same numbers, so queries
combine replicas with `max by (service, topic, partition)`, never a sum. Errors (broker away,
group coordinator moving, topic missing) are logged and the next round tries again; the gauge
keeps its last values meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from servicekit.background import BackgroundLoop
from servicekit.settings import KafkaSettings

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "suite_consumer_lag",
    "Messages of a partition not yet processed by the consumer group (end offset - committed)",
    ["service", "topic", "partition"],
)


class ConsumerLagMonitor:
    """Publishes the lag of `group_id` on `topics` (physical names, prefix included)."""

    def __init__(
        self,
        service: str,
        kafka: KafkaSettings,
        group_id: str,
        topics: Sequence[str],
        interval: float = 15.0,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.service = service
        self.kafka = kafka
        self.group_id = group_id
        self.topics = list(dict.fromkeys(topics))
        self.interval = interval
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._reported: set[tuple[str, int]] = set()
        self._missing: set[str | None] = set()
        self._loop = BackgroundLoop(
            f"{service}-consumer-lag", self._round, interval=interval, stop_timeout=0, logger=log
        )

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start measuring in the background (returns at once; Kafka may still be away)."""
        if self.topics:
            await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()  # a round only reads: cancel it rather than wait
        await self._close_clients()

    # --- measuring --------------------------------------------------------------------------------

    async def _round(self) -> None:
        try:
            await self.measure()
        except Exception as exc:
            # Routine while Kafka is away: one line a round, not a traceback.
            log.warning(
                "could not measure the consumer lag of %s: %s: %s",
                self.group_id,
                type(exc).__name__,
                exc,
            )
            await self._close_clients()  # reconnect from scratch next round

    async def measure(self) -> dict[TopicPartition, int]:
        """One round: compute the lag of every partition, set the gauge, return the values."""
        admin, consumer = await self._clients()
        partitions = await self._partitions(admin)
        if not partitions:
            return {}
        committed = await admin.list_consumer_group_offsets(self.group_id, partitions=partitions)
        end = await consumer.end_offsets(partitions)
        uncommitted = [tp for tp in partitions if tp not in committed or committed[tp].offset < 0]
        beginning = await consumer.beginning_offsets(uncommitted) if uncommitted else {}
        lags: dict[TopicPartition, int] = {}
        for tp in partitions:
            start = committed[tp].offset if tp not in beginning else beginning[tp]
            lags[tp] = max(end[tp] - start, 0)
        self._publish(lags)
        return lags

    async def _partitions(self, admin: AIOKafkaAdminClient) -> list[TopicPartition]:
        described = await admin.describe_topics(self.topics)
        partitions = []
        missing = set()
        for entry in described:
            if entry.get("error_code", 0) != 0:
                missing.add(entry.get("topic"))
                if entry.get("topic") not in self._missing:  # say it once, not every round
                    log.warning(
                        "topic %s cannot be described (error code %s): no lag for it",
                        entry.get("topic"),
                        entry.get("error_code"),
                    )
                continue
            for partition in entry.get("partitions", []):
                partitions.append(TopicPartition(entry["topic"], partition["partition"]))
        self._missing = missing
        return sorted(partitions)

    def _publish(self, lags: dict[TopicPartition, int]) -> None:
        current = {(tp.topic, tp.partition) for tp in lags}
        for topic, partition in self._reported - current:  # partitions that went away
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, topic, str(partition))
        for tp, lag in lags.items():
            CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)
        self._reported = current

    # --- clients ----------------------------------------------------------------------------------

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                **self.kafka.client_options(), client_id=f"{self.service}-lag-monitor"
            )
            await admin.start()
            self._admin = admin
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                **self.kafka.client_options(),
                client_id=f"{self.service}-lag-monitor",
                group_id=None,
                enable_auto_commit=False,
            )
            await consumer.start()
            self._consumer = consumer
        return self._admin, self._consumer

    async def _close_clients(self) -> None:
        admin, self._admin = self._admin, None
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()
