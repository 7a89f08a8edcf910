"""CSV exports of inventory's lists over HTTP on a real PostgreSQL (and Kafka for the order whose
shipment is exported): the header, a row's values (amounts in the currency's minor unit), the
list's filter honoured, and a token without a role refused."""

from __future__ import annotations

import csv
import io
import uuid

from warehouse_client import Warehouse

from inventory.entrypoints import exports_api
from servicekit.testing import (
    bearer,
)


async def exported(warehouse: Warehouse, path: str, **params: str) -> list[dict[str, str]]:
    response = await warehouse.client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    filename = path.rsplit("/", 1)[-1]
    if filename == "movements.csv":
        filename = "stock-movements.csv"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    header = next(csv.reader(io.StringIO(response.text)))
    return [dict(zip(header, row, strict=True)) for row in csv.reader(io.StringIO(response.text))][
        1:
    ]


async def test_stock_movements_vendors_and_purchase_orders_export_with_their_filters(
    warehouse: Warehouse,
) -> None:
    client = warehouse.client
    bolt = f"BOLT-{uuid.uuid4().hex[:6].upper()}"
    nut = f"NUT-{uuid.uuid4().hex[:6].upper()}"
    for sku in (bolt, nut):
        assert (
            await client.put(f"/products/{sku}", json={"name": sku, "kind": "product"})
        ).status_code == 201
    receipt = {"sku": bolt, "kind": "receipt", "quantity": "7.5", "reason": "=cmd()"}
    assert (await client.post("/stock/adjustments", json=receipt)).status_code == 201

    response = await client.get("/exports/stock.csv", params={"q": bolt})
    assert response.text.splitlines()[0] == ",".join(exports_api.STOCK_COLUMNS)
    stock = await exported(warehouse, "/exports/stock.csv", q=bolt)
    assert [(r["sku"], r["warehouse"], r["on_hand"], r["available"]) for r in stock] == [
        (bolt, "MAIN", "7.5", "7.5")
    ]
    assert await exported(warehouse, "/exports/stock.csv", q=bolt, available_below="7") == []

    moves = await exported(warehouse, f"/exports/stock/{bolt}/movements.csv")
    assert [(m["kind"], m["quantity_change"], m["on_hand"], m["reason"]) for m in moves] == [
        ("receipt", "7.5", "7.5", "'=cmd()")  # defused for spreadsheets
    ]
    unknown = await client.get("/exports/stock/NOPE-1/movements.csv")
    assert unknown.status_code == 404

    vendor = await client.post(
        "/vendors",
        json={
            "name": f"Bolt & Co {bolt}",
            "currency": "JPY",
            "supplies": [
                {"sku": bolt, "purchase_price": "120"},
                {"sku": nut, "purchase_price": "3"},
            ],
        },
    )
    assert vendor.status_code == 201, vendor.text
    vendor_id = vendor.json()["id"]
    vendors = await exported(warehouse, "/exports/vendors.csv", q=bolt)
    assert [(v["id"], v["currency"], v["supplied_products"]) for v in vendors] == [
        (vendor_id, "JPY", "2")
    ]
    assert await exported(warehouse, "/exports/vendors.csv", q="no such vendor") == []

    order = await client.post(
        "/purchase-orders",
        json={
            "vendor_id": vendor_id,
            "lines": [
                {"sku": bolt, "quantity": "3", "unit_price": "120.5"},
                {"sku": nut, "quantity": "10"},
            ],
        },
    )
    assert order.status_code == 201, order.text
    lines = await exported(warehouse, "/exports/purchase-orders.csv", vendor_id=vendor_id)
    assert [(r["sku"], r["quantity"], r["unit_price"], r["net"], r["total"]) for r in lines] == [
        (bolt, "3", "120.5", "362", "392"),  # JPY has no minor unit: the net rounded, the price not
        (nut, "10", "3", "30", "392"),
    ]
    assert {r["status"] for r in lines} == {"draft"}
    sent = await exported(
        warehouse, "/exports/purchase-orders.csv", vendor_id=vendor_id, status="sent"
    )
    assert sent == []

    code = f"W{uuid.uuid4().hex[:6].upper()}"
    made = await client.post("/warehouses", json={"code": code, "name": "Nord"})
    assert made.status_code == 201, made.text
    moved = await client.post(
        "/transfers",
        json={
            "from_warehouse": "MAIN",
            "to_warehouse": code,
            "lines": [{"sku": bolt, "quantity": "2.5"}],
        },
    )
    assert moved.status_code == 201, moved.text
    transfers = await exported(warehouse, "/exports/transfers.csv", status="in_transit")
    assert [(t["id"], t["to_warehouse"], t["sku"], t["quantity"]) for t in transfers] == [
        (moved.json()["id"], code, bolt, "2.5")
    ]
    assert await exported(warehouse, "/exports/transfers.csv", status="received") == []

    for name in ("vendors", "purchase-orders", "stock", "transfers"):
        refused = await client.get(f"/exports/{name}.csv", headers=bearer())
        assert refused.status_code == 403, name


async def test_shipments_and_returns_export_one_row_per_line(warehouse: Warehouse) -> None:
    client = warehouse.client
    bolt = f"BOLT-{uuid.uuid4().hex[:6].upper()}"
    order_id = await warehouse.shipped_order(
        bolt, on_hand="5", ship="4", carriage={"carrier": "DHL", "tracking_number": "@TRK"}
    )
    shipped = await exported(warehouse, "/exports/shipments.csv", order_id=order_id)
    assert [
        (s["order_id"], s["sku"], s["quantity"], s["carrier"], s["tracking_number"])
        for s in shipped
    ] == [(order_id, bolt, "4", "DHL", "'@TRK")]
    assert await exported(warehouse, "/exports/shipments.csv", order_id=str(uuid.uuid4())) == []
    held = await exported(warehouse, "/exports/reservations.csv", order_id=order_id)
    assert [(r["sku"], r["status"], r["quantity"], r["shipped_quantity"]) for r in held] == [
        (bolt, "shipped", "4", "4")
    ]
    assert await exported(warehouse, "/exports/reservations.csv", sku=bolt, status="released") == []

    rma = await client.post(
        "/returns",
        json={"order_id": order_id, "reason": "damaged", "lines": [{"sku": bolt, "quantity": "1"}]},
    )
    assert rma.status_code == 201, rma.text
    rows = await exported(warehouse, "/exports/returns.csv", order_id=order_id)
    assert [
        (r["number"], r["status"], r["sku"], r["quantity"], r["disposition"]) for r in rows
    ] == [(rma.json()["number"], "authorised", bolt, "1", "")]
    assert (
        await exported(warehouse, "/exports/returns.csv", order_id=order_id, status="received")
        == []
    )

    for name in ("returns", "shipments", "reservations"):
        refused = await client.get(f"/exports/{name}.csv", headers=bearer())
        assert refused.status_code == 403, name


async def test_warehouses_and_purchase_suggestions_export_as_their_lists(
    warehouse: Warehouse,
) -> None:
    client = warehouse.client
    codes = [f"W{uuid.uuid4().hex[:6].upper()}" for _ in range(2)]
    for code, priority in zip(codes, (5, 1), strict=True):
        made = await client.post(
            "/warehouses", json={"code": code, "name": "=Nord", "priority": priority}
        )
        assert made.status_code == 201, made.text
    assert (await client.post(f"/warehouses/{codes[1]}/deactivate")).status_code == 200
    rows = await exported(warehouse, "/exports/warehouses.csv")
    listed = (await client.get("/warehouses")).json()["items"]
    assert [r["code"] for r in rows] == [w["code"] for w in listed]  # the list's order
    assert rows[-1]["code"] == codes[1]  # inactive last
    [row] = [r for r in rows if r["code"] == codes[0]]
    assert (row["name"], row["priority"], row["is_default"], row["active"]) == (
        "'=Nord",
        "5",
        "false",
        "true",
    )

    bolt = f"BOLT-{uuid.uuid4().hex[:6].upper()}"
    product = await client.put(f"/products/{bolt}", json={"name": bolt, "kind": "product"})
    assert product.status_code == 201
    supplies = [{"sku": bolt, "purchase_price": "120", "lead_time_days": 3}]
    vendor = await client.post(
        "/vendors", json={"name": f"V {bolt}", "currency": "JPY", "supplies": supplies}
    )
    assert vendor.status_code == 201, vendor.text
    point = {"reorder_point": "10", "reorder_quantity": "25.5"}
    assert (await client.put(f"/reorder-points/{bolt}", json=point)).status_code == 200
    suggested = await exported(warehouse, "/exports/purchase-suggestions.csv")
    picked = ("warehouse", "available", "quantity", "vendor_id", "currency", "purchase_price")
    assert [[s[k] for k in (*picked, "lead_time_days")] for s in suggested if s["sku"] == bolt] == [
        ["MAIN", "0", "25.5", vendor.json()["id"], "JPY", "120", "3"]
    ]
    header = (await client.get("/exports/purchase-suggestions.csv")).text.splitlines()[0]
    assert header == ",".join(exports_api.SUGGESTION_COLUMNS)

    for name in ("warehouses", "purchase-suggestions"):
        refused = await client.get(f"/exports/{name}.csv", headers=bearer())
        assert refused.status_code == 403, name
