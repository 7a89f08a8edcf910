"""Invoicing policies against the in-memory unit of work: on completion, on delivery, manual."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from billing_builders import completed, confirmed, shipped
from billing_fakes import FakeUnitOfWork

from billing.domain.invoicing_policy import (
    Invoiced,
    InvoicingPolicy,
    InvoicingState,
    invoice_lines,
    shipped_per_line,
)
from billing.domain.model import InvoiceLine
from billing.service_layer import order_invoicing

TODAY = date(2025, 3, 10)
ON_DELIVERY = InvoicingPolicy.ON_DELIVERY
# 3 × 0.333 at 21 %: the whole line is 1.00 net (0.999 → 1.00) + 0.21 tax, but each third
# alone is 0.33 + 0.07: the last part takes the rest (0.34 + 0.07), never 0.99 + 0.21 in all.
THIRDS = [("WIDGET", "3", "0.333", "0", "21"), ("SETUP", "1", "50.00", "0", "21")]


def test_the_last_part_of_a_line_takes_the_rest_of_its_amounts() -> None:
    [line] = [
        InvoiceLine.priced(
            line_no=1,
            sku="WIDGET",
            description="w",
            quantity=D(3),
            unit_price=D("0.333"),
            discount_percent=D(0),
            tax_rate=D(21),
            currency="EUR",
        )
    ]
    first = invoice_lines([line], {}, {1: D(1)}, currency="EUR")
    assert [(x.quantity, x.net_amount, x.tax_amount) for x in first] == [
        (D(1), D("0.33"), D("0.07"))
    ]
    taken = Invoiced(D(2), D("0.66"), D("0.14"))
    last = invoice_lines([line], {1: taken}, {1: D(5)}, currency="EUR")  # capped at 1
    assert [(x.quantity, x.net_amount, x.tax_amount) for x in last] == [
        (D(1), D("0.34"), D("0.07"))
    ]
    assert (
        invoice_lines([line], {1: Invoiced(D(3), D("1.00"), D("0.21"))}, {1: D(1)}, currency="EUR")
        == []
    )


def test_a_sku_shipped_fills_its_lines_in_order() -> None:
    lines = [
        InvoiceLine.priced(
            line_no=n,
            sku=sku,
            description="x",
            quantity=D(q),
            unit_price=D(1),
            discount_percent=D(0),
            tax_rate=D(0),
        )
        for n, sku, q in ((1, "A", "2"), (2, "B", "1"), (3, "A", "3"))
    ]
    assert shipped_per_line(lines, {"A": D(4)}) == {1: D(2), 2: D(0), 3: D(2)}


async def test_on_delivery_each_shipment_invoices_what_shipped_and_completion_the_rest(
    make_order: Any,
) -> None:
    uow = FakeUnitOfWork()
    order = make_order(THIRDS)
    policy = {"today": TODAY, "default_policy": ON_DELIVERY}
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    first = await order_invoicing.shipment_dispatched(
        uow, shipped(order.order_id, "S1", ("WIDGET", "1")), **policy
    )
    again = await order_invoicing.shipment_dispatched(
        uow, shipped(order.order_id, "S1", ("WIDGET", "1")), **policy
    )  # the same shipment under another event id
    second = await order_invoicing.shipment_dispatched(
        uow, shipped(order.order_id, "S2", ("WIDGET", "2")), **policy
    )
    last = await order_invoicing.order_completed(uow, completed(order), order, **policy)
    assert first is not None
    assert second is not None
    assert last is not None
    assert again is None
    assert [(x.sku, x.quantity) for x in first.lines] == [("WIDGET", D(1))]
    assert [(x.sku, x.quantity) for x in second.lines] == [("WIDGET", D(2))]
    assert [(x.sku, x.quantity) for x in last.lines] == [("SETUP", D(1))]  # the service line
    grosses = [invoice.totals.gross for invoice in (first, second, last)]
    assert grosses == [D("0.40"), D("0.81"), D("60.50")]
    assert sum(grosses) == order.totals.gross  # 61.71: exactly the order
    issued = [event.data for event in uow.events]
    assert [(e.order_total, e.invoiced_total) for e in issued] == [
        (D("61.71"), D("0.40")),
        (D("61.71"), D("1.21")),
        (D("61.71"), D("61.71")),
    ]
    progress = await order_invoicing.progress(uow, order.order_id, default_policy=ON_DELIVERY)
    assert (progress.state, progress.invoiced_total, progress.uninvoiced_total) == (
        InvoicingState.INVOICED,
        D("61.71"),
        D("0.00"),
    )
    assert [(x.sku, x.shipped, x.invoiced) for x in progress.lines] == [
        ("WIDGET", D(3), D(3)),
        ("SETUP", D(0), D(1)),
    ]


async def test_a_shipment_before_the_order_is_invoiced_once_the_order_is_known(
    make_order: Any,
) -> None:
    uow = FakeUnitOfWork()
    order = make_order(THIRDS)
    policy = {"today": TODAY, "default_policy": ON_DELIVERY}
    early = shipped(order.order_id, "S1", ("WIDGET", "2"))
    assert await order_invoicing.shipment_dispatched(uow, early, **policy) is None
    invoice = await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    assert invoice is not None
    assert [(x.sku, x.quantity) for x in invoice.lines] == [("WIDGET", D(2))]
    progress = await order_invoicing.progress(uow, order.order_id, default_policy=ON_DELIVERY)
    assert progress.state is InvoicingState.PARTIALLY_INVOICED
    assert progress.uninvoiced_total == order.totals.gross - invoice.totals.gross


@pytest.mark.parametrize("own", [InvoicingPolicy.MANUAL, InvoicingPolicy.ON_COMPLETION])
async def test_an_order_own_policy_beats_the_default(make_order: Any, own: InvoicingPolicy) -> None:
    uow = FakeUnitOfWork()
    order = make_order(THIRDS)
    await order_invoicing.set_policy(uow, order.order_id, own)
    policy = {"today": TODAY, "default_policy": ON_DELIVERY}
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    assert (
        await order_invoicing.shipment_dispatched(
            uow, shipped(order.order_id, "S1", ("WIDGET", "1")), **policy
        )
        is None
    )
    done = await order_invoicing.order_completed(uow, completed(order), order, **policy)
    if own is InvoicingPolicy.MANUAL:
        assert done is None
        assert uow.invoices.rows == {}
    else:
        assert done is not None
        assert done.totals.gross == order.totals.gross
    progress = await order_invoicing.progress(uow, order.order_id, default_policy=ON_DELIVERY)
    assert (progress.policy, progress.own_policy) == (own, True)


async def test_a_manual_invoice_on_delivery_takes_only_what_shipped(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    order = make_order(THIRDS)
    policy = {"today": TODAY, "default_policy": ON_DELIVERY}
    await order_invoicing.set_policy(uow, order.order_id, InvoicingPolicy.MANUAL)
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    await order_invoicing.shipment_dispatched(
        uow, shipped(order.order_id, "S1", ("WIDGET", "2")), **policy
    )
    assert uow.invoices.rows == {}  # manual: the shipment invoiced nothing
    await order_invoicing.set_policy(uow, order.order_id, ON_DELIVERY)
    with pytest.raises(order_invoicing.BeyondInvoiceable, match="only 2 is shipped"):
        await order_invoicing.invoice_manually(uow, order.order_id, [(1, D(3))], **policy)
    with pytest.raises(order_invoicing.UnknownLine):
        await order_invoicing.invoice_manually(uow, order.order_id, [(7, D(1))], **policy)
    invoice = await order_invoicing.invoice_manually(
        uow, order.order_id, [(1, D(1)), (1, D(1))], **policy
    )
    assert [(x.line_no, x.quantity) for x in invoice.lines] == [(1, D(2))]
    assert len(uow.invoices.rows) == 1
