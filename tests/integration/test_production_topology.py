"""The suite in the shape it is deployed in: each service's API and its two worker replicas as
separate processes, so two relays share every outbox and two consumers every consumer group."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from prometheus_client.parser import text_string_to_metric_families

from contracts import EventType
from servicekit.testing import ServiceProcess, eventually
from tests.integration import test_order_lifecycle as lifecycle
from tests.integration.conftest import SPLIT_WORKER_REPLICAS, SplitSuite

T = TypeVar("T")


async def at_most(limit: int, calls: list[Awaitable[T]]) -> list[T]:
    """Await `calls` with no more than `limit` running at once (a client, not a load test)."""
    gate = asyncio.Semaphore(limit)

    async def gated(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(gated(call) for call in calls))


async def confirmations_processed(worker: ServiceProcess) -> float:
    """How many `order.confirmed` events this inventory worker has processed so far."""
    async with httpx.AsyncClient(base_url=worker.url, timeout=10) as client:
        exposition = (await client.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "suite_events_consumed_total"
        and sample.labels.get("service") == "inventory"
        and sample.labels.get("event_type") == EventType.ORDER_CONFIRMED.value
        and sample.labels.get("outcome") == "processed"
    )


async def test_topology_has_separate_api_and_worker_processes(split_suite: SplitSuite) -> None:
    processes = [*split_suite.services.values()]
    for name in split_suite.services:
        assert len(split_suite.workers[name]) == SPLIT_WORKER_REPLICAS
        processes += split_suite.workers[name]
    pids = {process.process.pid for process in processes if process.process is not None}
    assert len(pids) == len(processes) == 4 * (1 + SPLIT_WORKER_REPLICAS)


async def test_full_life_of_an_order(split_suite: SplitSuite) -> None:
    await lifecycle.test_full_life_of_an_order(split_suite)


async def confirm(suite: SplitSuite, order_id: str) -> httpx.Response:
    # 200 requests at once queue on a small machine: each gets time to be served, since the
    # race is under test here, not the latency (the benchmark measures that).
    async with suite.client("orders") as orders:
        orders.timeout = httpx.Timeout(180)
        return await orders.post(f"/orders/{order_id}/confirm", json={})


async def test_200_confirmations_race_for_50_units(split_suite: SplitSuite) -> None:
    """200 orders of one unit each, confirmed at once, against 50 units: exactly 50 reserved."""
    code = await lifecycle.stocked_product(split_suite, "50")
    buyer = await lifecycle.customer(split_suite, "Launch Day Ltd")
    line = [lifecycle.product_line(code, "1")]
    orders = await at_most(
        20, [lifecycle.create_order(split_suite, buyer["id"], line) for _ in range(200)]
    )
    inventory_workers = split_suite.workers["inventory"]
    before = [await confirmations_processed(worker) for worker in inventory_workers]

    responses = await asyncio.gather(*(confirm(split_suite, order["id"]) for order in orders))
    assert [r.status_code for r in responses] == [200] * 200, [
        r.text for r in responses if r.status_code != 200
    ][:3]

    async def all_settled() -> list[dict[str, Any]] | None:
        async with split_suite.client("orders") as client:
            page = await client.get("/orders", params={"customer_id": buyer["id"], "limit": 200})
        assert page.status_code == 200, page.text
        items: list[dict[str, Any]] = page.json()["items"]
        settled = [o for o in items if o["fulfilment"] in ("reserved", "backordered")]
        return items if len(settled) == 200 else None

    settled = await eventually(all_settled, within=180, interval=1)
    outcomes = [order["fulfilment"] for order in settled]
    assert (outcomes.count("reserved"), outcomes.count("backordered")) == (50, 150)
    assert await lifecycle.stock(split_suite, code) == {
        "on_hand": Decimal("50"),
        "reserved": Decimal("50"),
        "available": Decimal("0"),
    }
    # Both consumer replicas took part, and each confirmation took effect exactly once.
    after = [await confirmations_processed(worker) for worker in inventory_workers]
    shares = [done - start for start, done in zip(before, after, strict=True)]
    assert all(share > 0 for share in shares), shares
    assert sum(shares) == 200, shares
