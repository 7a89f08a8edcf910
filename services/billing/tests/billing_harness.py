"""The billing service under test: its runtime, HTTP client and the producer of its input, with
the reads the integration tests share (inbox, outbox, published events, invoices)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from billing_builders import completed
from sqlalchemy import func, select

from billing.adapters.tables import metadata
from contracts import CloudEvent, EventType
from contracts.common import OrderSnapshot
from servicekit import dlq
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import eventually


@dataclass
class Billing:
    runtime: Runtime
    client: httpx.AsyncClient
    kafka: KafkaSettings
    producer: AIOKafkaProducer

    async def publish(
        self, event: CloudEvent[Any] | bytes, key: str, topic: str = "orders.events"
    ) -> None:
        value = event if isinstance(event, bytes) else event.model_dump_json().encode()
        await self.producer.send_and_wait(self.kafka.topic(topic), value=value, key=key.encode())

    async def processed(self, *event_ids: str) -> bool:
        """True once every given event id is in the inbox (its effect committed)."""
        inbox = metadata.tables["inbox"]
        async with self.runtime.sessionmaker() as session:
            rows = await session.execute(
                select(inbox.c.event_id).where(inbox.c.event_id.in_(event_ids))
            )
            return len(rows.all()) == len(event_ids)

    async def count(self, query: Any) -> int:
        async with self.runtime.sessionmaker() as session:
            return int((await session.execute(query)).scalar_one())

    async def outbox_drained(self) -> bool:
        outbox = metadata.tables["outbox"]
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        return await self.count(query) == 0

    async def published(self, event_type: EventType) -> list[tuple[bytes, dict[str, Any]]]:
        """(key, event) of every `event_type` on billing.events, once the outbox is drained."""
        await eventually(self.outbox_drained)
        records = await dlq.read_topic(self.kafka, self.kafka.topic("billing.events"))
        found = [(r.key or b"", json.loads(r.value or b"{}")) for r in records]
        return [(key, event) for key, event in found if event["type"] == event_type.value]

    async def invoices_of(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.client.get("/invoices", params={"order_id": order_id})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def invoice_for(self, order: OrderSnapshot) -> dict[str, Any]:
        async def one() -> dict[str, Any] | None:
            found = await self.invoices_of(order.order_id)
            return found[0] if found else None

        invoice: dict[str, Any] = await eventually(one)
        return invoice

    async def pay(self, invoice_id: str, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return await self.client.post(
            f"/invoices/{invoice_id}/payments", json=body, headers=headers
        )

    async def get(self, invoice_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/invoices/{invoice_id}")
        assert response.status_code == 200, response.text
        invoice: dict[str, Any] = response.json()
        return invoice


CUSTOMER = {"id": "cust-pay", "name": "Payer Ltd", "email": "ap@payer.example"}


async def invoices(
    billing: Billing, make_order: Any, *days: int, customer: dict[str, str] = CUSTOMER, **kw: Any
) -> list[dict[str, Any]]:
    """One invoice of 133.10 per payment term, for `customer` (issued today, due in `days`)."""
    orders = [make_order(payment_days=d, customer=customer, **kw) for d in days]
    for order in orders:
        await billing.publish(completed(order), order.order_id)
    return [await billing.invoice_for(order) for order in orders]


async def post(billing: Billing, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return await billing.client.post(path, json=body, headers=headers)


async def credit(billing: Billing, customer_id: str = CUSTOMER["id"]) -> list[dict[str, str]]:
    response = await billing.client.get(f"/customers/{customer_id}/credit")
    assert response.status_code == 200, response.text
    found: list[dict[str, str]] = response.json()["credit"]
    return found


def balances(*found: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i["status"], i["paid_total"], i["balance"]) for i in found]


async def receive(billing: Billing, amount: str, **fields: Any) -> dict[str, Any]:
    """A payment of CUSTOMER in EUR (allocated oldest first unless `allocations` is given)."""
    body = {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": amount, **fields}
    response = await post(billing, "/payments", body)
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


async def refund(billing: Billing, amount: str, **fields: Any) -> dict[str, Any]:
    """A refund of CUSTOMER's EUR credit."""
    body = {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": amount, **fields}
    response = await post(billing, "/refunds", body)
    assert response.status_code == 201, response.text
    refunded: dict[str, Any] = response.json()
    return refunded
