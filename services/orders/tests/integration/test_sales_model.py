"""The sales read model on a running orders service (real Kafka and PostgreSQL): fed by the
order events and billing's invoices, credit notes and payments, exactly once, its figures over
HTTP and as metrics, and a rebuild from the topics that equals the live model."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import payment_received, shipment_dispatched
from sqlalchemy import select, update

from contracts import EventType, new_event, parse_event
from contracts.common import CustomerRef, PaymentTerms, Totals
from contracts.events import (
    CreditNoteIssued,
    InvoiceIssued,
    PaymentReceived,
    PaymentReversed,
    StockReservationFailed,
    StockReserved,
)
from contracts.topics import BILLING_EVENTS, INVENTORY_EVENTS, ORDERS_EVENTS
from orders.adapters import sales_model
from orders.adapters.tables import (
    sales_intake,
    sales_lines,
    sales_milestones,
    sales_quotes,
    sales_revenue,
    sales_settlements,
    sales_shipped,
)
from orders.entrypoints import sales_metrics
from servicekit import dlq
from servicekit.testing import bearer, eventually

ALICE = bearer("sales", subject="alice")
BOB = bearer("sales", subject="bob")
LINE = {"sku": "S-1", "kind": "service", "description": "Work", "tax_rate": "21"}


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    return {"visibility": {"sales": "own"}}


async def confirmed(
    client: Any, who: dict[str, str], quantity: str, kind: str = "service"
) -> dict[str, Any]:
    customer = (
        await client.post(
            "/customers", json={"name": "Buyer", "email": "b@example.com"}, headers=who
        )
    ).json()
    body = {
        "customer_id": customer["id"],
        "currency": "EUR",
        "lines": [{**LINE, "kind": kind, "quantity": quantity, "unit_price": "100.00"}],
    }
    order = (await client.post("/orders", json=body, headers=who)).json()
    response = await client.post(f"/orders/{order['id']}/confirm", headers=who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def billing_events(order: dict[str, Any]) -> list[Any]:
    """An invoice of 200.00 net (242.00 gross) and a credit note of 50.00 net (60.50 gross) for
    the order; a payment of 100.00, and one of 50.00 that is reversed."""
    customer = CustomerRef(id=order["customer"]["id"], name="Buyer")
    today = date.today()
    invoice = InvoiceIssued(
        invoice_id=f"inv-{order['id']}",
        number="INV-1",
        order_id=order["id"],
        order_number=order["number"],
        customer=customer,
        issue_date=today,
        due_date=today,
        currency="EUR",
        payment_terms=PaymentTerms(),
        lines=[],
        totals=Totals(net=D("200.00"), tax=D("42.00"), gross=D("242.00")),
    )
    credit = CreditNoteIssued(
        credit_note_id=f"cn-{order['id']}",
        number="CN-1",
        invoice_id=invoice.invoice_id,
        invoice_number="INV-1",
        order_id=order["id"],
        order_number=order["number"],
        customer=customer,
        issue_date=today,
        currency="EUR",
        reason="damaged",
        lines=[],
        totals=Totals(net=D("50.00"), tax=D("10.50"), gross=D("60.50")),
        applied_amount=D("60.50"),
        customer_credit=D("0.00"),
        invoice_status="partially_paid",
        invoice_credited_total=D("60.50"),
        invoice_balance=D("181.50"),
    )
    now = datetime.now(UTC)
    paid = {
        "invoice_id": invoice.invoice_id,
        "invoice_number": "INV-1",
        "order_id": order["id"],
        "currency": "EUR",
        "customer_id": order["customer"]["id"],
    }
    payment = PaymentReceived(
        **paid,
        payment_id="pay-1",
        amount=D("100.00"),
        paid_total=D("100.00"),
        balance=D("81.50"),
        status="partially_paid",
        received_at=now,
    )
    bounced = PaymentReceived(
        **paid,
        payment_id="pay-2",
        allocation_id="alloc-2",
        amount=D("50.00"),
        paid_total=D("150.00"),
        balance=D("31.50"),
        status="partially_paid",
        received_at=now,
    )
    reversal = PaymentReversed(
        **paid,
        payment_id="pay-2",
        allocation_id="alloc-2",
        amount=D("50.00"),
        paid_total=D("100.00"),
        balance=D("81.50"),
        status="partially_paid",
        reason="bounced",
        reversed_at=now,
    )
    return [
        new_event(event_type, payload, source="/billing", subject=order["id"])
        for event_type, payload in (
            (EventType.INVOICE_ISSUED, invoice),
            (EventType.CREDIT_NOTE_ISSUED, credit),
            (EventType.PAYMENT_RECEIVED, payment),
            (EventType.PAYMENT_RECEIVED, bounced),
            (EventType.PAYMENT_REVERSED, reversal),
        )
    ]


async def model(orders_service: Any) -> tuple[list[Any], ...]:
    async with orders_service.runtime.sessionmaker() as session:
        intake = (await session.execute(select(sales_intake).order_by("order_id"))).all()
        revenue = (
            await session.execute(select(sales_revenue).order_by("kind", "document_id"))
        ).all()
        settlements = (
            await session.execute(select(sales_settlements).order_by("kind", "invoice_id", "key"))
        ).all()
        milestones = (await session.execute(select(sales_milestones).order_by("order_id"))).all()
        lines = (await session.execute(select(sales_lines).order_by("order_id", "line_no"))).all()
        shipped = (
            await session.execute(select(sales_shipped).order_by("shipment_id", "sku"))
        ).all()
        quoted = (await session.execute(select(sales_quotes).order_by("quote_id"))).all()
    return tuple(
        [tuple(row) for row in rows]
        for rows in (intake, revenue, settlements, milestones, lines, shipped, quoted)
    )


async def sales_gauges(orders_service: Any) -> dict[str, str]:
    """The sales gauges the service exports, refreshed now."""
    await sales_metrics.refresh(orders_service.runtime.sessionmaker)
    metrics = (await orders_service.client.get("/metrics")).text
    return dict(
        line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("suite_sales_")
    )


async def rebuilt_as(orders_service: Any, live: tuple[list[Any], ...]) -> Any:
    """Rebuild the model until it equals `live`: the relay publishes our own events after
    their transactions, so the first rebuilds may come before it has. The last rebuild's
    counts."""

    last: list[Any] = []

    async def rebuilt() -> Any:
        done = await sales_model.rebuild(
            orders_service.runtime.sessionmaker, orders_service.kafka, wait_seconds=60
        )
        found = await model(orders_service)
        last[:] = [done, found]
        return done if found == live else None

    try:
        return await eventually(rebuilt, within=60, interval=1)
    except AssertionError:
        # Say what differed, so a failure in a long run can be diagnosed from its log alone.
        done, found = last
        raise AssertionError(
            f"the last rebuild ({done}) differs from the live model: {differences(live, found)}"
        ) from None


MODEL_TABLES = ("intake", "revenue", "settlements", "milestones", "lines", "shipped", "quotes")


def differences(live: tuple[list[Any], ...], rebuilt: tuple[list[Any], ...]) -> dict[str, Any]:
    """Per table of the model, the rows only live and only rebuilt."""
    found = {}
    for table, live_rows, rebuilt_rows in zip(MODEL_TABLES, live, rebuilt, strict=True):
        if live_rows != rebuilt_rows:
            found[table] = {
                "only live": [row for row in live_rows if row not in rebuilt_rows],
                "only rebuilt": [row for row in rebuilt_rows if row not in live_rows],
            }
    return found


async def test_the_read_model_follows_the_events_and_a_rebuild_equals_it(
    orders_service: Any,
) -> None:
    client = orders_service.client
    alices = await confirmed(client, ALICE, "1")
    revised = await client.post(
        f"/orders/{alices['id']}/revisions",
        json={"lines": [{"line_no": 1, "quantity": "2"}]},
        headers=ALICE,
    )
    assert revised.status_code == 200, revised.text
    bobs = await confirmed(client, BOB, "3")
    cancelled = await confirmed(client, BOB, "5")
    assert (await client.post(f"/orders/{cancelled['id']}/cancel", headers=BOB)).status_code == 200
    events = billing_events(alices)
    again = [
        events[0].model_copy(update={"id": "the-same-invoice-again"}),
        events[2].model_copy(update={"id": "the-same-payment-again"}),
    ]
    for event in [*events, *again]:
        await orders_service.send(BILLING_EVENTS.name, event, alices["id"])

    async def revenue(who: dict[str, str]) -> Any:
        found = (await client.get("/reports/revenue?by=owner", headers=who)).json()["items"]
        return found if found and found[0]["credit_notes"] == 1 else None

    [row] = await eventually(lambda: revenue(ALICE))
    assert row == {
        "key": "alice",
        "label": "alice",
        "currency": "EUR",
        "invoices": 1,  # the same invoice twice counts once
        "credit_notes": 1,
        "invoiced_net": "200.00",
        "credited_net": "50.00",
        "net": "150.00",
        "gross": "181.50",
    }
    assert (await client.get("/reports/revenue", headers=BOB)).json()["items"] == []

    async def receivables() -> Any:
        found = (await client.get("/reports/receivables", headers=ALICE)).json()["items"]
        return found if found and found[0]["open"] == "81.50" else None

    # 242.00 invoiced, less the credit note's 60.50 and the payment of 100.00 (counted once);
    # the other payment's 50.00 was reversed.
    [row] = await eventually(receivables)
    assert row == {
        "owner": "alice",
        "currency": "EUR",
        "invoices": 1,
        "net": "200.00",
        "gross": "242.00",
        "open": "81.50",
    }
    assert (await client.get("/reports/receivables", headers=BOB)).json()["items"] == []
    intake = (await client.get("/reports/intake?by=owner")).json()["items"]  # admin: all
    by_owner = {r["key"]: (r["orders"], r["net"]) for r in intake}
    assert by_owner == {"alice": (1, "200.00"), "bob": (1, "300.00")}  # revised; cancelled out
    refused = await client.get("/reports/revenue?by=product")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "query.by"

    gauges = await sales_gauges(orders_service)
    assert gauges['suite_sales_revenue_net{currency="EUR"}'] == "150.0"

    # Rebuilt from the topics (our own events as the relay published them, billing's as sent),
    # the read model is what the live one is.
    live = await model(orders_service)
    assert len(live[0]) == 3
    top = await client.get("/reports/sales?by=customer&top=1")  # admin: all
    [largest] = top.json()["items"]  # Bob's 300.00 before Alice's 200.00 (revised)
    assert (largest["orders"], largest["net"], largest["average_order_value"]) == (
        1,
        "300.00",
        "363.00",
    )
    reports = {
        name: (await client.get(name)).json()
        for name in ("/reports/sales?by=owner", "/reports/sales?by=customer&top=1")
    }
    rebuilt = await rebuilt_as(orders_service, live)
    assert {name: (await client.get(name)).json() for name in reports} == reports
    # The rebuild deleted every row and wrote them again: the kept totals (ADR 49) went with
    # them, so the gauges read as before.
    assert await sales_gauges(orders_service) == gauges
    assert rebuilt.applied >= 11  # 3 confirmed, 1 revised, 1 cancelled, 6 from billing
    assert len(live[2]) == 4  # the credit note, two payments and a reversal
    assert [row[1:4] for row in live[4] if row[0] == alices["id"]] == [(1, "S-1", "service")]
    assert bobs["id"] in {row[0] for row in live[0]}


async def test_cycle_time_comes_from_the_milestones_and_a_rebuild_keeps_them(
    orders_service: Any,
) -> None:
    client = orders_service.client
    order = await confirmed(client, ALICE, "2", kind="product")
    order_id = order["id"]
    reserved = StockReserved(order_id=order_id, lines=[{"sku": "S-1", "quantity": "2"}])
    shipped = shipment_dispatched(order_id, "shp-1", [("S-1", "2")], fully=True)
    for event_type, payload in (
        (EventType.STOCK_RESERVED, reserved),
        (EventType.SHIPMENT_DISPATCHED, shipped),
    ):
        event = new_event(event_type, payload, source="/inventory", subject=order_id)
        await orders_service.send(INVENTORY_EVENTS.name, event, order_id)

    async def fulfilment() -> Any:
        return (await client.get(f"/orders/{order_id}", headers=ALICE)).json()["fulfilment"]

    await eventually(lambda: _when(fulfilment(), "shipped"))
    invoice = billing_events(order)[0]  # issued after the shipment
    payment = payment_received(
        order_id, "242.00", paid_total="242.00", balance="0.00", status="paid"
    ).model_copy(update={"invoice_id": invoice.data.invoice_id})
    paid = new_event(EventType.PAYMENT_RECEIVED, payment, source="/billing", subject=order_id)
    for event in (invoice, paid):
        await orders_service.send(BILLING_EVENTS.name, event, order_id)

    params = {"customer_id": order["customer"]["id"]}

    async def cycle() -> Any:
        response = await client.get("/reports/cycle-time", params=params, headers=ALICE)
        steps = {s["step"]: s for s in response.json()["items"]}
        return steps if all(s["orders"] == 1 for s in steps.values()) else None

    steps = await eventually(cycle)  # each step made by the one order
    assert list(steps) == [
        "confirmed_to_shipped",
        "shipped_to_invoiced",
        "invoiced_to_paid",
        "confirmed_to_paid",
    ]
    assert all(step["p50_hours"] is not None for step in steps.values())
    assert (await client.get("/reports/cycle-time", params=params, headers=BOB)).json()["items"][0][
        "orders"
    ] == 0
    exported = await client.get(
        "/reports/cycle-time", params={**params, "format": "csv"}, headers=ALICE
    )
    assert exported.text.splitlines()[0] == "step,orders,p50_hours,p90_hours"
    fill = (await client.get("/reports/fill-rate", params=params, headers=ALICE)).json()
    assert (fill["ordered_quantity"], fill["shipped_quantity"], fill["fill_rate"]) == (
        "2.000",
        "2.000",
        "1.0000",
    )
    products = await client.get("/reports/sales", params={**params, "by": "product"}, headers=ALICE)
    [product] = products.json()["items"]
    assert (product["key"], product["quantity"], product["net"]) == ("S-1", "2.000", "200.00")

    # Rebuilt once the relay has published order.shipped and order.paid: the same milestones.
    live = await model(orders_service)
    [row] = [r for r in live[3] if r[0] == order_id]
    assert all(moment is not None for moment in row[1:5])  # confirmed, shipped, invoiced, paid

    await rebuilt_as(orders_service, live)
    assert await cycle() == steps
    assert (await client.get("/reports/fill-rate", params=params, headers=ALICE)).json() == fill
    assert len(live[5]) == 1  # the shipment


async def test_cycle_times_are_nearest_rank_percentiles_of_the_orders_that_made_the_step(
    orders_service: Any,
) -> None:
    """Five orders shipped 1, 2, 3, 4 and 10 hours after their confirmation and one not
    shipped: the p50 is the third (3 h), the p90 the fifth (10 h), nearest rank; a step no
    order made has no percentiles."""
    client = orders_service.client
    seller = bearer("sales", subject=f"cycle-{uuid.uuid4().hex[:8]}")  # sees these orders only
    made = [await confirmed(client, seller, "1") for _ in range(6)]

    async def ship(hours_after: tuple[int | None, ...]) -> None:
        """Written into the read model directly (the sixth order is never shipped)."""
        async with orders_service.runtime.sessionmaker() as session, session.begin():
            for order, after in zip(made, hours_after, strict=False):
                moment = None if after is None else timedelta(hours=after)
                shipped = await session.execute(
                    update(sales_milestones)
                    .where(sales_milestones.c.order_id == order["id"])
                    .values(
                        shipped_at=None
                        if moment is None
                        else sales_milestones.c.confirmed_at + moment
                    )
                )
                assert shipped.rowcount == 1  # confirmed: its milestone is there

    await ship((1, 2, 3, 4, 10))
    response = await client.get("/reports/cycle-time", headers=seller)
    # As the events left them: the module's later tests compare the model with a rebuild.
    await ship((None,) * 5)
    assert response.status_code == 200, response.text
    steps = {s["step"]: s for s in response.json()["items"]}
    shipping = steps["confirmed_to_shipped"]
    assert (shipping["orders"], shipping["p50_hours"], shipping["p90_hours"]) == (5, 3.0, 10.0)
    assert steps["shipped_to_invoiced"] == {
        "step": "shipped_to_invoiced",
        "orders": 0,
        "p50_hours": None,
        "p90_hours": None,
    }


async def test_backorder_ageing_counts_from_the_last_failed_reservation(
    orders_service: Any,
) -> None:
    client = orders_service.client
    order = await confirmed(client, BOB, "3", kind="product")
    failed = StockReservationFailed(
        order_id=order["id"], shortages=[{"sku": "S-1", "requested": "3", "available": "0"}]
    )
    event = new_event(
        EventType.STOCK_RESERVATION_FAILED, failed, source="/inventory", subject=order["id"]
    )
    ten_days_ago = event.model_copy(update={"time": datetime.now(UTC) - timedelta(days=10)})
    await orders_service.send(INVENTORY_EVENTS.name, ten_days_ago, order["id"])
    params = {"customer_id": order["customer"]["id"]}

    async def backorders() -> Any:
        response = await client.get("/reports/backorders", params=params, headers=BOB)
        return response.json() if response.json()["items"] else None

    found = await eventually(backorders)
    [item] = found["items"]
    assert (item["number"], item["age_days"], item["bucket"]) == (order["number"], 10, "8-30")
    assert found["buckets"] == {"0-7": 0, "8-30": 1, "31+": 0}

    live = await model(orders_service)

    await rebuilt_as(orders_service, live)
    assert await backorders() == found


async def test_quote_conversion_comes_from_the_quote_events_and_a_rebuild_keeps_it(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = (
        await client.post("/customers", json={"name": "Q", "email": "q@example.com"}, headers=ALICE)
    ).json()

    async def quote(*steps: str, **dates: str) -> dict[str, Any]:
        body = {
            "customer_id": customer["id"],
            "currency": "EUR",
            "lines": [{**LINE, "quantity": "1", "unit_price": "100.00"}],
            **dates,
        }
        made: dict[str, Any] = (await client.post("/quotes", json=body, headers=ALICE)).json()
        for step in steps:
            extra = {"json": {"reason": "Too expensive"}} if step == "reject" else {}
            response = await client.post(f"/quotes/{made['id']}/{step}", headers=ALICE, **extra)
            assert response.status_code in (200, 201), response.text
        return made

    won = await quote("send", "accept", "convert")
    lost = await quote("send", "reject")
    await quote("send")  # still open
    await quote()  # a draft: made, never sent
    old = await quote(quote_date="2020-01-02", valid_until="2020-01-31")  # a draft too
    params = {"customer_id": customer["id"]}

    async def conversion(who: dict[str, str] = ALICE) -> dict[str, Any]:
        response = await client.get("/reports/quote-conversion", params=params, headers=who)
        found: dict[str, Any] = response.json()
        return found

    expected = {
        "quotes": 5,
        "sent": 3,
        "accepted": 1,
        "rejected": 1,
        "expired": 0,
        "converted": 1,
        "conversion_rate": "0.3333",
    }
    assert await conversion() == expected
    assert (await conversion(BOB))["quotes"] == 0  # not his
    exported = await client.get(
        "/reports/quote-conversion", params={**params, "format": "csv"}, headers=ALICE
    )
    assert exported.text.splitlines() == [
        "quotes,sent,accepted,rejected,expired,converted,conversion_rate",
        "5,3,1,1,0,1,0.3333",
    ]

    # Published through the outbox, keyed by the quote: sent, accepted, converted.
    async def published(quote_id: str, count: int) -> Any:
        records = await dlq.read_topic(
            orders_service.kafka, orders_service.kafka.topic(ORDERS_EVENTS.name)
        )
        found = [parse_event(r.value) for r in records if r.key == quote_id.encode()]
        return found if len(found) == count else None

    sent, accepted, converted = await eventually(lambda: published(won["id"], 3))
    assert [e.type for e in (sent, accepted, converted)] == [
        EventType.QUOTE_SENT,
        EventType.QUOTE_ACCEPTED,
        EventType.QUOTE_CONVERTED,
    ]
    order = (await client.get(f"/quotes/{won['id']}", headers=ALICE)).json()["orders"][0]
    assert (converted.data.order_id, converted.data.order_number) == (order["id"], order["number"])
    [_, rejected] = await eventually(lambda: published(lost["id"], 2))
    assert (rejected.type, rejected.data.reason) == (EventType.QUOTE_REJECTED, "Too expensive")

    live = await model(orders_service)
    rows = {row[0]: row for row in live[6]}
    assert set(rows) >= {won["id"], lost["id"]}
    assert old["id"] not in rows  # drafts are no event
    # sent_at, accepted_at, rejected_at, converted_at
    assert [moment is not None for moment in rows[won["id"]][6:]] == [True, True, False, True]
    assert [moment is not None for moment in rows[lost["id"]][6:]] == [True, False, True, False]
    await rebuilt_as(orders_service, live)
    assert await conversion() == expected

    # The rebuild applies whatever quote.sent the topic holds: one for the old draft, valid
    # until a date long past, makes it sent and expired.
    gone = sent.model_copy(
        update={
            "id": str(uuid.uuid4()),
            "subject": old["id"],
            "data": sent.data.model_copy(
                update={
                    "quote_id": old["id"],
                    "number": old["number"],
                    "valid_until": date(2020, 1, 31),
                }
            ),
        }
    )
    await orders_service.send(ORDERS_EVENTS.name, gone, old["id"])

    async def expired() -> Any:
        await sales_model.rebuild(
            orders_service.runtime.sessionmaker, orders_service.kafka, wait_seconds=60
        )
        found = await conversion()
        return found if found["expired"] == 1 else None

    assert await eventually(expired, within=60, interval=1) == {
        **expected,
        "sent": 4,
        "expired": 1,
        "conversion_rate": "0.2500",
    }


async def _when(probe: Any, expected: Any) -> Any:
    found = await probe
    return found if found == expected else None
