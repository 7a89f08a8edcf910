"""Several warehouses against a real PostgreSQL (and the service's Kafka wiring): CRUD and
deactivation, stock and the ledger per warehouse, the reservation rule across warehouses under
concurrency, shipments naming their warehouse, transfers in transit then received."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from contracts import CloudEvent, EventType
from contracts.common import CustomerRef, ItemKind, OrderLine, OrderSnapshot, PaymentTerms, Totals
from inventory.adapters.tables import reservation_lines
from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR
from inventory.entrypoints.handlers import handle_order_confirmed
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    order_event,
    service_with_input,
    settings_for_test,
)
from servicekit.unit_of_work import run_at_commit

D = Decimal


@pytest.fixture
async def service(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    settings = await settings_for_test(InventorySettings, databases, kafka, "inventory")
    async with service_with_input(build_spec(settings), MIGRATIONS_DIR) as (runtime, client, _):
        yield runtime, client


def sku(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:6].upper()}"


def confirmed(lines: list[tuple[str, str]], warehouse: str | None = None) -> CloudEvent[Any]:
    one = D("1.00")
    order_id = str(uuid.uuid4())
    snapshot = OrderSnapshot(
        order_id=order_id,
        number=f"SO-{order_id[:8]}",
        customer=CustomerRef(id="c-1", name="Acme"),
        order_date=date(2026, 1, 15),
        currency="EUR",
        payment_terms=PaymentTerms(),
        warehouse=warehouse,
        lines=[
            OrderLine(
                line_no=n,
                sku=code,
                kind=ItemKind.PRODUCT,
                description=code,
                quantity=D(q),
                unit_price=one,
                tax_rate=D(0),
                net_amount=one,
                tax_amount=D(0),
                gross_amount=one,
            )
            for n, (code, q) in enumerate(lines, start=1)
        ],
        totals=Totals(net=one, tax=D(0), gross=one),
    )
    return order_event(EventType.ORDER_CONFIRMED, snapshot)


async def receive(client: httpx.AsyncClient, code: str, quantity: str, warehouse: str) -> None:
    response = await client.post(
        "/stock/adjustments",
        json={
            "sku": code,
            "kind": "receipt",
            "quantity": quantity,
            "reason": "in",
            "warehouse": warehouse,
        },
    )
    assert response.status_code == 201, response.text


async def stock_lows(runtime: Runtime) -> list[dict[str, Any]]:
    """The stock.low events in the outbox, oldest first."""
    outbox = runtime.metadata.tables["outbox"]
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.event_type == "suite.stock.low.v1")
                .order_by(outbox.c.id)
            )
        ).all()
    return [json.loads(row.payload)["data"] for row in rows]


async def level(client: httpx.AsyncClient, code: str, warehouse: str) -> tuple[D, D]:
    response = await client.get(f"/stock/{code}", params={"warehouse": warehouse})
    assert response.status_code == 200, response.text
    return D(response.json()["on_hand"]), D(response.json()["reserved"])


async def test_warehouses_transfers_and_the_reservation_rule(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    listed = (await client.get("/warehouses")).json()["items"]
    assert [(w["code"], w["is_default"]) for w in listed] == [("MAIN", True)]  # migrated
    for code, priority in (("WEST", 10), ("EAST", 20)):
        created = await client.post(
            "/warehouses", json={"code": code, "name": f"{code} depot", "priority": priority}
        )
        assert created.status_code == 201, created.text
    again = await client.post("/warehouses", json={"code": "WEST", "name": "Again"})
    assert again.status_code == 409
    bad = await client.post("/warehouses", json={"code": "west side", "name": "x"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.code"
    assert [w["code"] for w in (await client.get("/warehouses")).json()["items"]] == [
        "MAIN",
        "WEST",
        "EAST",
    ]
    assert (await client.get("/warehouses/NOPE")).status_code == 404
    assert (await client.patch("/warehouses/NOPE", json={"priority": 1})).status_code == 404
    moved = await client.patch("/warehouses/EAST", json={"priority": 5})
    assert moved.status_code == 200, moved.text
    assert moved.json()["priority"] == 5
    assert [w["code"] for w in (await client.get("/warehouses")).json()["items"]] == [
        "MAIN",
        "EAST",
        "WEST",
    ]
    await client.patch("/warehouses/EAST", json={"priority": 20})

    bolt = sku("BOLT")
    assert (
        await client.put(f"/products/{bolt}", json={"name": bolt, "kind": "product"})
    ).status_code == 201
    await receive(client, bolt, "2", "MAIN")
    await receive(client, bolt, "8", "EAST")
    unknown = await client.post(
        "/stock/adjustments",
        json={"sku": bolt, "kind": "receipt", "quantity": "1", "reason": "x", "warehouse": "NOPE"},
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "body.warehouse"

    # MAIN has 2, WEST none, EAST 8: an order of 5 is reserved in EAST.
    order = confirmed([(bolt, "5")])
    async with runtime.sessionmaker() as session, session.begin():
        await handle_order_confirmed(order, session)
        await run_at_commit(session)  # as the consumer does before it commits
    assert await level(client, bolt, "EAST") == (D(8), D(5))
    assert await level(client, bolt, "MAIN") == (D(2), D(0))
    held = (await client.get("/reservations", params={"order_id": order.subject})).json()
    assert [line["warehouse"] for line in held["items"]] == ["EAST"]

    shipped = await client.post(
        "/shipments", json={"order_id": order.subject, "lines": [{"sku": bolt, "quantity": "2"}]}
    )
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["warehouse"] == "EAST"
    assert await level(client, bolt, "EAST") == (D(6), D(3))

    # A transfer: more than available is refused; then in transit, then received.
    too_much = await client.post(
        "/transfers",
        json={
            "from_warehouse": "EAST",
            "to_warehouse": "WEST",
            "lines": [{"sku": bolt, "quantity": "4"}],
        },
    )
    assert too_much.status_code == 409, too_much.text
    same = await client.post(
        "/transfers",
        json={
            "from_warehouse": "EAST",
            "to_warehouse": "EAST",
            "lines": [{"sku": bolt, "quantity": "1"}],
        },
    )
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "body.to_warehouse"
    sent = await client.post(
        "/transfers",
        json={
            "from_warehouse": "EAST",
            "to_warehouse": "WEST",
            "lines": [{"sku": bolt, "quantity": "3"}],
        },
    )
    assert sent.status_code == 201, sent.text
    transfer = sent.json()
    assert transfer["status"] == "in_transit"
    assert await level(client, bolt, "EAST") == (D(3), D(3))
    assert await level(client, bolt, "WEST") == (D(0), D(0))
    received = await client.post(f"/transfers/{transfer['id']}/receive")
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    assert (await client.post(f"/transfers/{transfer['id']}/receive")).status_code == 409
    assert await level(client, bolt, "WEST") == (D(3), D(0))
    west_ledger = (
        await client.get(f"/stock/{bolt}/movements", params={"warehouse": "WEST"})
    ).json()["items"]
    assert [(m["kind"], m["quantity_change"]) for m in west_ledger] == [("transfer_in", "3")]
    east_ledger = (
        await client.get(f"/stock/{bolt}/movements", params={"warehouse": "EAST"})
    ).json()["items"]
    assert [m["kind"] for m in east_ledger] == [
        "receipt",
        "reservation",
        "shipment",
        "transfer_out",
    ]
    overview = (await client.get("/stock", params={"q": bolt})).json()["items"]
    assert [(row["warehouse"], row["available"]) for row in overview] == [
        ("EAST", "0"),
        ("MAIN", "2"),
        ("WEST", "3"),
    ]

    # Deactivation: refused while it holds stock, then no more stock may move there.
    refused = await client.post("/warehouses/WEST/deactivate")
    assert refused.status_code == 409, refused.text
    assert (await client.post("/warehouses/MAIN/deactivate")).status_code == 409
    sent_back = await client.post(
        "/transfers",
        json={
            "from_warehouse": "WEST",
            "to_warehouse": "MAIN",
            "lines": [{"sku": bolt, "quantity": "3"}],
        },
    )
    assert sent_back.status_code == 201, sent_back.text
    gone = await client.post("/warehouses/WEST/deactivate")
    assert gone.status_code == 200, gone.text
    assert gone.json()["active"] is False
    assert (await client.get("/transfers", params={"status": "in_transit"})).json()["items"][0][
        "id"
    ] == sent_back.json()["id"]


async def test_concurrent_confirmations_across_two_warehouses_never_oversell(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    created = await client.post(
        "/warehouses", json={"code": "SOUTH", "name": "South", "priority": 1}
    )
    assert created.status_code == 201, created.text
    widget = sku("WIDGET")
    assert (
        await client.put(f"/products/{widget}", json={"name": widget, "kind": "product"})
    ).status_code == 201
    await receive(client, widget, "6", "MAIN")
    await receive(client, widget, "5", "SOUTH")
    orders = [
        confirmed([(widget, str(1 + i % 3))], warehouse="SOUTH" if i % 5 == 0 else None)
        for i in range(20)
    ]

    async def confirm(event: CloudEvent[Any]) -> None:
        async with runtime.sessionmaker() as session, session.begin():
            await handle_order_confirmed(event, session)
            await run_at_commit(session)  # as the consumer does before it commits

    await asyncio.gather(*(confirm(event) for event in orders))

    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(reservation_lines).where(reservation_lines.c.sku == widget)
            )
        ).all()
    reserved: dict[str, D] = {}
    for row in rows:
        if row.status == "reserved":
            reserved[row.warehouse] = reserved.get(row.warehouse, D(0)) + row.quantity
    for warehouse, on_hand in (("MAIN", D(6)), ("SOUTH", D(5))):
        assert await level(client, widget, warehouse) == (on_hand, reserved.get(warehouse, D(0)))
        assert reserved.get(warehouse, D(0)) <= on_hand
    assert sum(reserved.values()) > D(6)  # both warehouses served orders
    assert any(row.status == "backordered" for row in rows)
    named = {str(o.subject) for i, o in enumerate(orders) if i % 5 == 0}
    assert all(row.warehouse == "SOUTH" for row in rows if row.order_id in named)


async def test_low_stock_is_recorded_once_per_drop(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    nut = sku("NUT")
    assert (
        await client.put(f"/products/{nut}", json={"name": nut, "kind": "product"})
    ).status_code == 201
    await receive(client, nut, "10", "MAIN")
    point = await client.put(
        f"/reorder-points/{nut}", json={"reorder_point": "5", "reorder_quantity": "20"}
    )
    assert point.status_code == 200, point.text
    for quantity in ("4", "2", "1"):  # 6, then 4 (below: announced), then 3 (still below)
        loss = await client.post(
            "/stock/adjustments",
            json={"sku": nut, "kind": "loss", "quantity": quantity, "reason": "lost"},
        )
        assert loss.status_code == 201, loss.text
    lows = await stock_lows(runtime)
    assert [(e["sku"], e["warehouse"], e["available"]) for e in lows if e["sku"] == nut] == [
        (nut, "MAIN", "4")
    ]


async def test_reorder_points_per_warehouse_and_the_drafts_into_that_warehouse(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    bolt, east = sku("BOLT"), sku("EAST")
    assert (
        await client.put(f"/products/{bolt}", json={"name": bolt, "kind": "product"})
    ).status_code == 201
    assert (
        await client.post("/warehouses", json={"code": east, "name": "East"})
    ).status_code == 201
    vendor = await client.post(
        "/vendors",
        json={
            "name": f"Vendor {bolt}",
            "currency": "EUR",
            "email": "sales@bolt.test",
            "supplies": [{"sku": bolt, "purchase_price": "2", "lead_time_days": 3}],
        },
    )
    assert vendor.status_code == 201, vendor.text
    vendor_id = vendor.json()["id"]
    await receive(client, bolt, "6", "MAIN")
    await receive(client, bolt, "6", east)

    general = await client.put(
        f"/reorder-points/{bolt}", json={"reorder_point": "5", "reorder_quantity": "10"}
    )
    assert general.json() == {
        "sku": bolt,
        "reorder_point": "5",
        "reorder_quantity": "10",
        "warehouse": None,
    }
    own = await client.put(
        f"/reorder-points/{bolt}",
        params={"warehouse": east},
        json={"reorder_point": "8", "reorder_quantity": "4"},
    )
    assert (own.status_code, own.json()["warehouse"]) == (200, east), own.text
    unknown = await client.put(
        f"/reorder-points/{bolt}",
        params={"warehouse": "NOWHERE"},
        json={"reorder_point": "1", "reorder_quantity": "1"},
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "query.warehouse")
    listed = await client.get("/reorder-points", params={"sku": bolt})
    assert [(p["warehouse"], p["reorder_point"]) for p in listed.json()["items"]] == [
        (None, "5"),
        (east, "8"),
    ]

    # 6 in each: EAST is below its own 8, MAIN not below the product's 5.
    low = await client.get("/stock", params={"q": bolt, "low_stock": "true"})
    assert [(r["warehouse"], r["reorder_point"]) for r in low.json()["items"]] == [(east, "8")]
    rows = (await client.get("/stock", params={"q": bolt})).json()["items"]
    assert {r["warehouse"]: r["reorder_point"] for r in rows} == {"MAIN": "5", east: "8"}
    suggested = [s for s in (await client.get("/purchase-suggestions")).json() if s["sku"] == bolt]
    assert [(s["warehouse"], s["quantity"]) for s in suggested] == [(east, "4")]
    drafted = await client.post("/purchase-suggestions/drafts")
    assert drafted.status_code == 201, drafted.text
    [draft] = [po for po in drafted.json() if po["vendor_id"] == vendor_id]
    assert (draft["warehouse"], draft["lines"][0]["quantity"]) == (east, "4")

    # A loss in EAST below its own point announces stock.low with EAST's point.
    loss = await client.post(
        "/stock/adjustments",
        json={"sku": bolt, "kind": "loss", "quantity": "1", "reason": "x", "warehouse": east},
    )
    assert loss.status_code == 201, loss.text
    lows = await stock_lows(runtime)
    assert [(e["warehouse"], e["reorder_point"]) for e in lows if e["sku"] == bolt] == [(east, "8")]

    removed = await client.delete(f"/reorder-points/{bolt}", params={"warehouse": east})
    assert removed.status_code == 204
    again = await client.delete(f"/reorder-points/{bolt}", params={"warehouse": east})
    assert again.status_code == 404
    rows = (await client.get("/stock", params={"q": bolt})).json()["items"]
    assert {r["warehouse"]: r["reorder_point"] for r in rows} == {"MAIN": "5", east: "5"}


async def test_reactivation_and_a_new_default_warehouse_announced_as_warehouse_changed(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    for code in ("EAST", "WEST"):
        created = await client.post("/warehouses", json={"code": code, "name": code.title()})
        assert created.status_code == 201, created.text
    bolt = sku("BOLT")
    assert (
        await client.put(f"/products/{bolt}", json={"name": bolt, "kind": "product"})
    ).status_code == 201
    await receive(client, bolt, "4", "MAIN")
    sent = await client.post(
        "/transfers",
        json={
            "from_warehouse": "MAIN",
            "to_warehouse": "WEST",
            "lines": [{"sku": bolt, "quantity": "1"}],
        },
    )
    assert sent.status_code == 201, sent.text
    on_the_way = await client.post("/warehouses/WEST/deactivate")
    assert (on_the_way.status_code, "on their way" in on_the_way.json()["detail"]) == (409, True)

    assert (await client.post("/warehouses/EAST/reactivate")).status_code == 409  # active
    assert (await client.post("/warehouses/EAST/deactivate")).status_code == 200
    assert (await client.post("/warehouses/EAST/make-default")).status_code == 409  # inactive
    reactivated = await client.post("/warehouses/EAST/reactivate")
    assert (reactivated.status_code, reactivated.json()["active"]) == (200, True)
    assert (await client.post("/warehouses/NOPE/reactivate")).status_code == 404

    # Two moves of the default at once: they queue, and exactly one default remains.
    moves = await asyncio.gather(
        client.post("/warehouses/EAST/make-default"),
        client.post("/warehouses/WEST/make-default"),
    )
    assert [m.status_code for m in moves] == [200, 200]
    listed = (await client.get("/warehouses")).json()["items"]
    defaults = [w["code"] for w in listed if w["is_default"]]
    assert defaults in (["EAST"], ["WEST"])
    assert listed[0]["code"] == defaults[0]  # the default is tried first
    refused = await client.post(f"/warehouses/{defaults[0]}/deactivate")
    assert refused.status_code == 409

    outbox = runtime.metadata.tables["outbox"]
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.event_type == "suite.warehouse.changed.v1")
                .order_by(outbox.c.id)
            )
        ).all()
    changed = [json.loads(row.payload)["data"] for row in rows]
    assert [(c["code"], c["active"]) for c in changed][:5] == [
        ("EAST", True),  # created
        ("WEST", True),
        ("EAST", False),  # deactivated
        ("EAST", True),  # reactivated
        ("MAIN", True),  # no longer the default (first move)
    ]
    assert changed[-1] == {
        "code": defaults[0],
        "name": defaults[0].title(),
        "priority": 100,
        "is_default": True,
        "active": True,
    }
