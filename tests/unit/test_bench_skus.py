"""The benchmark's products: one hot stock row by default, or the orders spread over N."""

from __future__ import annotations

import asyncio
import dataclasses
from types import ModuleType
from typing import Any


class RecordedOrders:
    """An orders API that answers every create with a new id and keeps the bodies sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def timed(self, method: str, path: str, **kwargs: Any) -> tuple[Any, float, float]:
        self.bodies.append(kwargs["json"])
        return {"id": f"order-{len(self.bodies)}"}, 0.0, 0.0


def product_skus(bodies: list[dict[str, Any]]) -> list[str]:
    return [line["sku"] for body in bodies for line in body["lines"] if line["kind"] == "product"]


async def created(bench: ModuleType, skus: int, orders: int) -> tuple[Any, RecordedOrders]:
    suite = bench.Suite(dataclasses.replace(bench.Sizes(), skus=skus))
    recorded, real = RecordedOrders(), suite.orders
    try:
        suite.orders = recorded
        for _ in range(orders):
            await suite.create_order("customer-1")
    finally:
        suite.orders = real
        await suite.aclose()
    return suite, recorded


def test_every_order_buys_the_same_product_by_default(bench: ModuleType) -> None:
    suite, recorded = asyncio.run(created(bench, 1, 3))
    [sku] = suite.skus
    assert product_skus(recorded.bodies) == [sku, sku, sku]
    assert suite.sku_of == {"order-1": sku, "order-2": sku, "order-3": sku}


def test_spread_orders_take_the_products_in_turn_and_ship_their_own(bench: ModuleType) -> None:
    suite, recorded = asyncio.run(created(bench, 3, 4))
    first, second, third = suite.skus
    assert len({first, second, third}) == 3
    assert product_skus(recorded.bodies) == [first, second, third, first]
    # A shipment names the product of its order (`Lives.one`).
    assert [suite.sku_of[f"order-{n}"] for n in range(1, 5)] == [first, second, third, first]
