"""A client of the inventory service under test with the steps several tests share: an order
confirmed over Kafka and shipped, the events about an order, a product's stock."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from purchasing_builders import confirmed

from servicekit import dlq
from servicekit.settings import KafkaSettings
from servicekit.testing import eventually


class Warehouse:
    def __init__(
        self, client: httpx.AsyncClient, kafka: KafkaSettings, producer: AIOKafkaProducer
    ) -> None:
        self.client = client
        self.kafka = kafka
        self.producer = producer

    async def events_about(self, order_id: str, count: int) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            records = await dlq.read_topic(
                self.kafka, self.kafka.topic("inventory.events"), wait_seconds=2
            )
            found = [json.loads(r.value) for r in records if r.key.decode() == order_id]
            return found if len(found) >= count else None

        result: list[dict[str, Any]] = await eventually(probe, within=30, interval=0.3)
        return result

    async def shipped_order(
        self, sku: str, on_hand: str, ship: str, carriage: dict[str, str] | None = None
    ) -> str:
        """A product with stock, an order of `ship` of it confirmed (over Kafka) and shipped."""
        put = await self.client.put(f"/products/{sku}", json={"name": sku, "kind": "product"})
        assert put.status_code == 201, put.text
        receipt = await self.client.post(
            "/stock/adjustments",
            json={"sku": sku, "kind": "receipt", "quantity": on_hand, "reason": "in"},
        )
        assert receipt.status_code == 201, receipt.text
        order_id = str(uuid.uuid4())
        event = confirmed(order_id, sku, ship)
        await self.producer.send_and_wait(
            self.kafka.topic("orders.events"),
            value=event.model_dump_json().encode(),
            key=order_id.encode(),
        )
        await self.events_about(order_id, 1)  # reserved
        shipped = await self.client.post(
            "/shipments",
            json={"order_id": order_id, "lines": [{"sku": sku, "quantity": ship}]}
            | (carriage or {}),
        )
        assert shipped.status_code == 201, shipped.text
        return order_id

    async def stock(self, sku: str) -> dict[str, str]:
        body: dict[str, str] = (await self.client.get(f"/stock/{sku}")).json()
        return body
