"""The administrators' `/admin` API of a service, against the real broker and database: the
outbox backlog and its parked rows, the consumer group's lag, dead letters and one replayed."""

from __future__ import annotations

from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import insert, select, update

from contracts import CloudEvent, EventType
from contracts.topics import INVENTORY_EVENTS, ORDERS_EVENTS
from servicekit import dlq
from servicekit.db import new_metadata
from servicekit.runtime import Runtime, ServiceSpec, Subscription
from servicekit.settings import KafkaSettings, ServiceSettings
from servicekit.testing import TemporaryDatabases, bearer, eventually


async def ignore(event: CloudEvent[Any], session: Any) -> None:
    return None


async def admin_service(databases: TemporaryDatabases, kafka: KafkaSettings) -> Runtime:
    metadata = new_metadata()
    spec = ServiceSpec(
        name="demo",
        title="Demo",
        description="A service to test the admin API",
        version="1.0.0",
        metadata=metadata,
        settings=ServiceSettings(database_url=await databases.create("admin"), kafka=kafka),
        subscriptions=lambda _: [Subscription(ORDERS_EVENTS, {EventType.ORDER_CONFIRMED: ignore})],
        publishes=[INVENTORY_EVENTS],
    )
    runtime = Runtime(spec, api=True, worker=False)  # an API process: no consumer runs
    async with runtime.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return runtime


def outbox_row(n: int) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "event_type": "suite.stock.reserved.v1",
        "topic": "inventory.events",
        "key": f"order-{n}",
        "payload": "{}",
    }


async def test_only_administrators_reach_the_admin_api(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> None:
    runtime = await admin_service(databases, kafka)
    transport = httpx.ASGITransport(app=runtime.create_app())
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/admin/outbox", "/admin/consumer-lag", "/admin/dead-letters"):
                assert (await client.get(path)).status_code == 401
                refused = await client.get(path, headers=bearer("sales", "warehouse"))
                assert refused.status_code == 403, path
                assert refused.json()["missing_scopes"] == ["admin"]
            refused = await client.post(
                "/admin/outbox/retry", json={}, headers=bearer("integration")
            )
            assert refused.status_code == 403
    finally:
        await runtime.engine.dispose()


async def test_outbox_backlog_parked_rows_and_their_retry(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> None:
    runtime = await admin_service(databases, kafka)
    outbox = runtime.metadata.tables["outbox"]
    async with runtime.engine.begin() as connection:
        await connection.execute(insert(outbox), [outbox_row(n) for n in range(1, 5)])
        await connection.execute(
            update(outbox)
            .where(outbox.c.event_id.in_(["e3", "e4"]))
            .values(failed_at=outbox.c.created_at, error="RecordTooLargeError: too large")
        )
    transport = httpx.ASGITransport(app=runtime.create_app())
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer("admin")
        ) as client:
            backlog = (await client.get("/admin/outbox")).json()
            assert backlog["service"] == "demo"
            assert backlog["unpublished"] == 2
            assert backlog["oldest_age_seconds"] >= 0
            assert [(r["key"], r["error"]) for r in backlog["parked"]] == [
                ("order-3", "RecordTooLargeError: too large"),
                ("order-4", "RecordTooLargeError: too large"),
            ]
            first = backlog["parked"][0]["id"]
            retried = await client.post("/admin/outbox/retry", json={"ids": [first]})
            assert retried.json() == {"retried": 1}
            assert [r["key"] for r in (await client.get("/admin/outbox")).json()["parked"]] == [
                "order-4"
            ]
            assert (await client.post("/admin/outbox/retry", json={})).json() == {"retried": 1}
            after = (await client.get("/admin/outbox")).json()
            assert (after["unpublished"], after["parked"]) == (4, [])
            for ids in ([0], [2**63]):  # not a row id, or beyond the column's range
                bad = await client.post("/admin/outbox/retry", json={"ids": ids})
                assert bad.status_code == 422, ids
    finally:
        await runtime.engine.dispose()
    async with runtime.engine.connect() as connection:
        waiting = (await connection.execute(select(outbox.c.failed_at))).scalars().all()
    await runtime.engine.dispose()
    assert waiting == [None] * 4


async def test_consumer_lag_dead_letters_and_one_replayed(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> None:
    runtime = await admin_service(databases, kafka)
    events, dead_letters = kafka.topic("orders.events"), kafka.topic("orders.events.dlq")
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all")
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(events, key=f"o{n}".encode(), value=b'{"n": 1}')
        # The third is the first again: its consumer stopped before committing, read the
        # message again and dead-lettered it again.
        for n in (0, 1, 0):
            headers = {
                dlq.ORIGINAL_TOPIC: events,
                dlq.ORIGINAL_PARTITION: "0",
                dlq.ORIGINAL_OFFSET: str(n),
                dlq.CONSUMER: "demo",
                dlq.ERROR: f"bad payload {n}",
                dlq.ERROR_TYPE: "ValidationError",
                dlq.ATTEMPTS: "1",
                "ce_id": f"event-{n}",
            }
            await producer.send_and_wait(
                dead_letters,
                key=f"dead-{n}".encode(),
                value=f'{{"dead": {n}}}'.encode(),
                partition=0,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
    finally:
        await producer.stop()

    transport = httpx.ASGITransport(app=runtime.create_app())
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer("admin"), timeout=30
        ) as client:
            answer = await client.get("/admin/consumer-lag")
            assert answer.status_code == 200, answer.text
            lag = answer.json()
            assert lag["group"] == runtime.consumer_group
            assert lag["total"] == 3  # nothing consumed yet: everything is lag
            assert {p["topic"] for p in lag["partitions"]} == {events}
            assert all(p["committed"] is None for p in lag["partitions"])

            topics = (await client.get("/admin/dead-letters")).json()["topics"]
            assert topics == [
                {"topic": "orders.events", "dead_letter_topic": dead_letters, "messages": 3}
            ]
            listing = (await client.get("/admin/dead-letters/orders.events")).json()
            assert listing["complete"] is True
            assert [(m["offset"], m["error"], m["key"]) for m in listing["messages"]] == [
                (0, "bad payload 0", "dead-0"),
                (1, "bad payload 1", "dead-1"),
                (2, "bad payload 0", "dead-0"),
            ]
            assert [m["copy_of"] for m in listing["messages"]] == [
                None,
                None,
                {"partition": 0, "offset": 0},
            ]
            assert listing["messages"][1]["original"] == {
                "topic": events,
                "partition": "0",
                "offset": "1",
            }

            replayed = await client.post(
                "/admin/dead-letters/orders.events/replay", json={"partition": 0, "offset": 1}
            )
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["to_topic"] == events
            assert replayed.json()["replayed"]["value"] == '{"dead": 1}'

            missing = await client.post(
                "/admin/dead-letters/orders.events/replay", json={"partition": 0, "offset": 9}
            )
            assert missing.status_code == 404
            other = await client.get("/admin/dead-letters/billing.events")
            assert other.status_code == 404  # not a topic this service consumes
    finally:
        await runtime.engine.dispose()

    async def replayed_copy() -> Any:
        records = await dlq.read_topic(kafka, events, wait_seconds=2)
        copies = [r for r in records if r.key == b"dead-1"]
        return copies or None

    (copy,) = await eventually(replayed_copy)
    headers = dict(copy.headers)
    assert copy.value == b'{"dead": 1}'
    assert headers["ce_id"] == b"event-1"  # the same event, so a consumer that had it ignores it
    assert headers[dlq.REPLAYED_FROM] == f"{dead_letters}/0/1".encode()
    assert not any(name.startswith("dlq-error") for name in headers)
    # it stays in the dead-letter topic
    assert len(await dlq.read_dead_letters(kafka, dead_letters, wait_seconds=2)) == 3
