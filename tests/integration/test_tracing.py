"""One order's confirmation is one trace: the orders API's request, the outbox relay's
publication, Kafka, inventory's consumer (and its reservation published back), and orders'
consumer of the reservation. Both services run in this process on the real broker and database,
their spans collected by an in-memory exporter."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from inventory.bootstrap import build_spec as inventory_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR as INVENTORY_MIGRATIONS
from orders.bootstrap import build_spec as orders_spec
from orders.config import OrdersSettings
from orders.entrypoints.cli import MIGRATIONS_DIR as ORDERS_MIGRATIONS
from servicekit import tracing
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    service_under_test,
    settings_for_test,
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("suite", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.disable_tracing()
        exporter.shutdown()


@contextlib.asynccontextmanager
async def two_services(
    databases: TemporaryDatabases, kafka: KafkaSettings, batch_size: int
) -> AsyncIterator[tuple[Any, Any]]:
    orders_settings = await settings_for_test(
        OrdersSettings, databases, kafka, "orders", consumer_batch_size=batch_size
    )
    inventory_settings = await settings_for_test(
        InventorySettings, databases, kafka, "inventory", consumer_batch_size=batch_size
    )
    async with (
        service_under_test(orders_spec(orders_settings), ORDERS_MIGRATIONS) as (_, orders),
        service_under_test(inventory_spec(inventory_settings), INVENTORY_MIGRATIONS) as (
            _,
            inventory,
        ),
    ):
        yield orders, inventory


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    provider = trace.get_tracer_provider()
    provider.force_flush()  # type: ignore[attr-defined]
    return list(exporter.get_finished_spans())


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of the span's ancestors, nearest first, as far as they were recorded."""
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def consumed_by(span: ReadableSpan, topic: str, group: str) -> bool:
    attributes = span.attributes or {}
    return (
        span.name == f"{topic} process" and attributes.get("messaging.consumer.group.name") == group
    )


# Consumers handle batches in one transaction (the default) or one record at a time (the
# fallback when a batch fails): both paths continue the trace.
@pytest.mark.parametrize("batch_size", [100, 1])
async def test_an_order_confirmation_is_one_trace_across_orders_and_inventory(
    databases: TemporaryDatabases,
    kafka: KafkaSettings,
    spans: InMemorySpanExporter,
    batch_size: int,
) -> None:
    def is_back_in_orders(span: ReadableSpan) -> bool:  # the reservation, handled by orders
        return (
            consumed_by(span, kafka.topic("inventory.events"), kafka.topic("orders"))
            and (span.attributes or {}).get("cloudevents.event_type") == "suite.stock.reserved.v1"
        )

    async with two_services(databases, kafka, batch_size) as (orders, inventory):
        code = f"SKU-{uuid.uuid4().hex[:8].upper()}"
        created = await inventory.put(f"/products/{code}", json={"name": "W", "kind": "product"})
        assert created.status_code in (200, 201), created.text
        receipt = await inventory.post(
            "/stock/adjustments",
            json={"sku": code, "kind": "receipt", "quantity": "5", "reason": "initial stock"},
        )
        assert receipt.status_code == 201, receipt.text

        # Product lines may only name items orders knows: wait for inventory's event to reach it.
        async def catalogued() -> bool:
            item = await orders.get(f"/items/{code}", params={"currency": "EUR"})
            return item.status_code == 200

        await eventually(catalogued, within=60)
        customer = await orders.post(
            "/customers", json={"name": "Acme", "email": f"b-{uuid.uuid4().hex[:6]}@example.com"}
        )
        assert customer.status_code == 201, customer.text
        line = {
            "sku": code,
            "kind": "product",
            "description": "W",
            "quantity": "2",
            "unit_price": "10.00",
            "tax_rate": "21",
        }
        draft = await orders.post(
            "/orders",
            json={"customer_id": customer.json()["id"], "currency": "EUR", "lines": [line]},
        )
        assert draft.status_code == 201, draft.text
        order_id = draft.json()["id"]
        confirmed = await orders.post(f"/orders/{order_id}/confirm", json={})
        assert confirmed.status_code == 200, confirmed.text

        async def reserved() -> bool:
            order = await orders.get(f"/orders/{order_id}")
            return bool(order.json()["fulfilment"] == "reserved")

        await eventually(reserved)

        # The reservation reached orders: wait for the span of its handling to end.
        async def collected() -> list[ReadableSpan] | None:
            found = finished(spans)
            return found if any(is_back_in_orders(s) for s in found) else None

        found = await eventually(collected)

    orders_events, inventory_events = kafka.topic("orders.events"), kafka.topic("inventory.events")
    by_id = {s.context.span_id: s for s in found}
    (confirm,) = [
        s for s in found if s.name == "POST /orders/{order_id}/confirm" and s.parent is None
    ]
    in_trace = [s for s in found if s.context.trace_id == confirm.context.trace_id]
    names = {s.name for s in in_trace}
    assert f"{orders_events} publish" in names  # orders' relay
    assert f"{inventory_events} publish" in names  # inventory's relay
    consumed = {
        (s.name, (s.attributes or {}).get("messaging.consumer.group.name"))
        for s in in_trace
        if s.name.endswith(" process")
    }
    assert (f"{orders_events} process", kafka.topic("inventory")) in consumed
    assert (f"{inventory_events} process", kafka.topic("orders")) in consumed
    # Connected, not merely sharing an id: orders' handling of the reservation descends from the
    # confirm request through both relays and inventory's handling.
    (back_in_orders,) = [s for s in in_trace if is_back_in_orders(s)]
    path = ancestors(back_in_orders, by_id)
    assert path[-1] == "POST /orders/{order_id}/confirm"
    assert f"{orders_events} process" in path
    assert f"{orders_events} publish" in path
    # The database work of the request is in the trace too (SQLAlchemy instrumentation).
    assert any(s.name.startswith(("INSERT", "UPDATE", "SELECT")) for s in in_trace)
