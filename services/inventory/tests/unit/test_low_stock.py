"""stock.low: announced once when a warehouse's available stock of a SKU drops below the
product's reorder point, again only after it was back at the point or above."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contracts import EventType
from inventory.domain.commands import AdjustStock, CreateWarehouse, UpsertProduct
from inventory.domain.model import AdjustmentKind, ItemKind
from inventory.domain.purchasing import ReorderPoint
from inventory.service_layer import catalogue, stock, warehouses

D = Decimal


def adjust(kind: AdjustmentKind, quantity: str, warehouse: str = "MAIN") -> AdjustStock:
    return AdjustStock(
        sku="BOLT", kind=kind, quantity=D(quantity), reason="test", warehouse=warehouse
    )


def lows(uow: Any) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (e.data.warehouse, e.data.available, e.data.reorder_point)
        for e in uow.events
        if e.type == EventType.STOCK_LOW.value
    ]


async def test_low_stock_is_announced_once_per_drop_per_warehouse(fake_uow: Any) -> None:
    await catalogue.upsert_product(
        fake_uow, UpsertProduct(sku="BOLT", name="Bolt", kind=ItemKind.PRODUCT)
    )
    await warehouses.create_warehouse(fake_uow, CreateWarehouse(code="WEST", name="West"))
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.RECEIPT, "10"))
    assert lows(fake_uow) == []  # no reorder point: never low

    await fake_uow.reorder_points.set(ReorderPoint("BOLT", D(5), D(20)))
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.DAMAGE, "4"))  # 6: not below
    assert lows(fake_uow) == []
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.LOSS, "2"))  # 4: below
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.LOSS, "1"))  # 3: still below
    assert lows(fake_uow) == [("MAIN", D(4), D(5))]
    [event] = [e for e in fake_uow.events if e.type == EventType.STOCK_LOW.value]
    assert (event.subject, event.data.reorder_quantity) == ("BOLT", D(20))

    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.RECEIPT, "2"))  # 5: back at it
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.DAMAGE, "1"))  # 4: below again
    assert lows(fake_uow) == [("MAIN", D(4), D(5)), ("MAIN", D(4), D(5))]

    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.RECEIPT, "1", "WEST"))  # its own
    assert lows(fake_uow)[-1] == ("WEST", D(1), D(5))


async def test_a_warehouse_s_own_point_decides_its_low_stock(fake_uow: Any) -> None:
    await catalogue.upsert_product(
        fake_uow, UpsertProduct(sku="BOLT", name="Bolt", kind=ItemKind.PRODUCT)
    )
    await warehouses.create_warehouse(fake_uow, CreateWarehouse(code="WEST", name="West"))
    await fake_uow.reorder_points.set(ReorderPoint("BOLT", D(5), D(20)))
    await fake_uow.reorder_points.set(ReorderPoint("BOLT", D(2), D(3), "WEST"))
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.RECEIPT, "4", "WEST"))  # 4 >= 2
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.RECEIPT, "4"))  # MAIN: 4 < 5
    assert lows(fake_uow) == [("MAIN", D(4), D(5))]
    await stock.adjust_stock(fake_uow, adjust(AdjustmentKind.LOSS, "3", "WEST"))  # 1 < 2
    assert lows(fake_uow)[-1] == ("WEST", D(1), D(2))
    assert [e.data.reorder_quantity for e in fake_uow.events if e.type == "suite.stock.low.v1"] == [
        D(20),
        D(3),
    ]
