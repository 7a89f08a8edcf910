"""The order's status machine and the fulfilment/billing states driven by other services."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from orders.domain.content import LineInput, LineKind, build_lines
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.order import (
    Billing,
    Document,
    Fulfilment,
    Order,
    OrderStatus,
    billing_of_invoices,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def product(sku: str = "BOLT", quantity: str = "10") -> LineInput:
    return LineInput(sku, LineKind.PRODUCT, f"Product {sku}", D(quantity), D("2.50"), D("21"))


def service(sku: str = "INSTALL") -> LineInput:
    return LineInput(sku, LineKind.SERVICE, "Installation", D("1"), D("80.00"), D("21"))


def make_order(
    *lines: LineInput,
    status: OrderStatus = OrderStatus.DRAFT,
    fulfilment: Fulfilment = Fulfilment.UNRESERVED,
    billing: Billing = Billing.NOT_INVOICED,
) -> Order:
    return Order(
        id="o-1",
        number="SO-2026-000001",
        customer_id="c-1",
        currency="EUR",
        order_date=date(2026, 3, 1),
        lines=build_lines(list(lines) or [product()]),
        created_at=NOW,
        updated_at=NOW,
        status=status,
        fulfilment=fulfilment,
        billing=billing,
    )


# --- legal transitions --------------------------------------------------------------------------


def test_confirm_opens_a_draft_and_reserves_products() -> None:
    order = make_order(product(), service())
    order.confirm()
    assert (order.status, order.fulfilment) == (OrderStatus.OPEN, Fulfilment.RESERVING)


def test_confirm_of_services_only_needs_no_reservation() -> None:
    order = make_order(service())
    order.confirm()
    assert (order.status, order.fulfilment) == (OrderStatus.OPEN, Fulfilment.UNRESERVED)


@pytest.mark.parametrize("status", [OrderStatus.DRAFT, OrderStatus.OPEN])
def test_cancel_from_draft_or_open(status: OrderStatus) -> None:
    order = make_order(status=status)
    assert order.cancel() is status
    assert order.status is OrderStatus.CANCELLED


def test_complete_once_shipped() -> None:
    order = make_order(status=OrderStatus.OPEN, fulfilment=Fulfilment.SHIPPED)
    order.complete()
    assert order.status is OrderStatus.CONCLUDED


def test_complete_services_only_at_once() -> None:
    order = make_order(service())
    order.confirm()
    order.complete()
    assert order.status is OrderStatus.CONCLUDED


# --- every illegal transition: refused, and nothing changes -------------------------------------

ILLEGAL: list[tuple[str, OrderStatus, Fulfilment]] = [
    *[("confirm", OrderStatus.OPEN, f) for f in Fulfilment],
    ("confirm", OrderStatus.CONCLUDED, Fulfilment.SHIPPED),
    ("confirm", OrderStatus.CANCELLED, Fulfilment.UNRESERVED),
    ("confirm", OrderStatus.CANCELLED, Fulfilment.BACKORDERED),
    ("cancel", OrderStatus.CONCLUDED, Fulfilment.SHIPPED),
    ("cancel", OrderStatus.OPEN, Fulfilment.SHIPPED),
    ("cancel", OrderStatus.OPEN, Fulfilment.PARTIALLY_SHIPPED),
    ("cancel", OrderStatus.CANCELLED, Fulfilment.UNRESERVED),
    ("complete", OrderStatus.DRAFT, Fulfilment.UNRESERVED),
    *[("complete", OrderStatus.OPEN, f) for f in Fulfilment if f is not Fulfilment.SHIPPED],
    ("complete", OrderStatus.CONCLUDED, Fulfilment.SHIPPED),
    ("complete", OrderStatus.CANCELLED, Fulfilment.UNRESERVED),
    ("complete", OrderStatus.CANCELLED, Fulfilment.SHIPPED),
    ("edit", OrderStatus.OPEN, Fulfilment.RESERVING),
    ("edit", OrderStatus.CONCLUDED, Fulfilment.SHIPPED),
    ("edit", OrderStatus.CANCELLED, Fulfilment.UNRESERVED),
]

ACTIONS: dict[str, Callable[[Order], Any]] = {
    "confirm": Order.confirm,
    "cancel": Order.cancel,
    "complete": Order.complete,
    "edit": lambda order: order.revise({"contact": "Someone"}, [service()]),
}


@pytest.mark.parametrize(("action", "status", "fulfilment"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(
    action: str, status: OrderStatus, fulfilment: Fulfilment
) -> None:
    order = make_order(status=status, fulfilment=fulfilment)
    before = copy.deepcopy(order)
    with pytest.raises(IllegalTransition) as raised:
        ACTIONS[action](order)
    assert order == before
    assert raised.value.status is status
    assert status.value in str(raised.value)
    assert raised.value.action == action


def test_an_order_with_shipped_goods_cannot_be_cancelled_and_names_the_shipments() -> None:
    order = make_order(status=OrderStatus.OPEN, fulfilment=Fulfilment.RESERVED)
    order.shipment_dispatched("shp-2", [("BOLT", D("4"))], fully_shipped=False)
    order.shipment_dispatched("shp-1", [("BOLT", D("6"))], fully_shipped=True)
    before = copy.deepcopy(order)
    with pytest.raises(IllegalTransition, match=r"shipments: shp-1, shp-2") as raised:
        order.cancel("too late")
    assert raised.value.details == {"shipment_ids": ["shp-1", "shp-2"]}
    assert order == before


def test_a_stale_shipment_still_blocks_cancellation() -> None:
    """A shipment reported out of order leaves the fulfilment alone, but its goods did leave."""
    order = make_order(status=OrderStatus.OPEN, fulfilment=Fulfilment.RESERVED)
    order.shipment_dispatched("shp-1", [("BOLT", D("3"))], fully_shipped=False, stale=True)
    assert order.fulfilment is Fulfilment.RESERVED
    with pytest.raises(IllegalTransition, match="shp-1"):
        order.cancel()
    assert order.status is OrderStatus.OPEN


def test_refused_completion_says_what_is_missing() -> None:
    order = make_order(status=OrderStatus.OPEN, fulfilment=Fulfilment.PARTIALLY_SHIPPED)
    with pytest.raises(IllegalTransition, match=r"not fully shipped.*partially_shipped"):
        order.complete()


# --- editing ------------------------------------------------------------------------------------


def test_revise_replaces_lines_and_renumbers_them() -> None:
    order = make_order(product("A"), product("B"), product("C"))
    order.revise({"currency": "USD"}, [service("X"), product("Y", "2")])
    assert order.currency == "USD"
    assert [(line.line_no, line.sku) for line in order.lines] == [(1, "X"), (2, "Y")]
    assert order.totals.net == D("85.00")


def test_revise_with_bad_lines_changes_nothing() -> None:
    order = make_order()
    before = copy.deepcopy(order)
    bad = LineInput("Z", LineKind.PRODUCT, "z", D("0"), D("1"), D("21"))
    with pytest.raises(InvalidOrder) as raised:
        order.revise({"contact": "Changed"}, [product(), bad])
    assert raised.value.field == "lines.1.quantity"
    assert order == before


def test_revise_refuses_fields_that_are_not_editable() -> None:
    order = make_order()
    with pytest.raises(InvalidOrder, match="number"):
        order.revise({"number": "SO-2026-999999"}, None)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineInput("A", LineKind.PRODUCT, "a", D("-1"), D("1"), D("21")), "lines.0.quantity"),
        (LineInput("A", LineKind.PRODUCT, "a", D("1"), D("-1"), D("21")), "lines.0.unit_price"),
        (LineInput("A", LineKind.PRODUCT, "a", D("1"), D("1"), D("101")), "lines.0.tax_rate"),
        (
            LineInput("A", LineKind.PRODUCT, "a", D("1"), D("1"), D("21"), D("100.5")),
            "lines.0.discount_percent",
        ),
    ],
)
def test_line_rules_name_the_field(line: LineInput, field: str) -> None:
    with pytest.raises(InvalidOrder) as raised:
        build_lines([line])
    assert raised.value.field == field


def test_an_order_has_one_to_five_hundred_lines() -> None:
    with pytest.raises(InvalidOrder):
        build_lines([])
    with pytest.raises(InvalidOrder):
        build_lines([service()] * 501)
    assert len(build_lines([service()] * 500)) == 500


# --- fulfilment, from inventory's facts ---------------------------------------------------------


def confirmed(*lines: LineInput) -> Order:
    order = make_order(*lines)
    order.confirm()
    return order


def test_reservation_then_repeated_reservation() -> None:
    order = confirmed()
    assert order.stock_reserved() is True
    assert order.fulfilment is Fulfilment.RESERVED
    assert order.stock_reserved() is False


def test_reservation_failure_backorders_and_a_later_reservation_wins() -> None:
    order = confirmed()
    assert order.reservation_failed() is True
    assert order.fulfilment is Fulfilment.BACKORDERED
    assert order.stock_reserved() is True
    assert order.fulfilment is Fulfilment.RESERVED
    assert order.reservation_failed() is False  # a stale failure does not undo the reservation
    assert order.fulfilment is Fulfilment.RESERVED


def test_cancelling_a_backorder_leaves_nothing_reserved() -> None:
    order = confirmed()
    order.reservation_failed()
    order.cancel()
    assert (order.status, order.fulfilment) == (OrderStatus.CANCELLED, Fulfilment.UNRESERVED)


def test_a_reservation_that_fails_after_cancelling_leaves_nothing_reserved() -> None:
    order = confirmed()
    order.cancel()  # inventory had not answered yet
    assert order.fulfilment is Fulfilment.RESERVING
    assert order.reservation_failed() is True
    assert order.fulfilment is Fulfilment.UNRESERVED


def test_a_reservation_after_cancelling_is_followed_by_its_release() -> None:
    order = confirmed()
    order.cancel()
    assert order.stock_reserved() is True
    assert order.fulfilment is Fulfilment.RESERVED  # held until inventory releases it
    assert order.stock_released() is True
    assert order.fulfilment is Fulfilment.UNRESERVED


def test_nothing_to_reserve_reserves_and_lets_the_order_complete_without_a_shipment() -> None:
    order = confirmed(product("SETUP"), service())  # inventory knows SETUP as a service
    assert order.stock_reserved(nothing_to_reserve=True) is True
    assert (order.fulfilment, order.nothing_to_ship) == (Fulfilment.RESERVED, True)
    assert order.stock_reserved(nothing_to_reserve=True) is False  # repeated: no change
    order.complete()
    assert (order.status, order.fulfilment) == (OrderStatus.CONCLUDED, Fulfilment.RESERVED)


def test_a_reservation_with_lines_still_waits_for_the_shipment() -> None:
    order = confirmed()
    order.stock_reserved()
    assert order.nothing_to_ship is False
    with pytest.raises(IllegalTransition):
        order.complete()


def test_cancelling_an_order_with_nothing_to_ship_leaves_nothing_reserved() -> None:
    order = confirmed()
    order.stock_reserved(nothing_to_reserve=True)
    order.cancel()  # inventory holds nothing: no release will come
    assert (order.status, order.fulfilment) == (OrderStatus.CANCELLED, Fulfilment.UNRESERVED)


def test_nothing_to_reserve_after_cancelling_leaves_nothing_reserved() -> None:
    order = confirmed()
    order.cancel()  # inventory had not answered yet
    assert order.stock_reserved(nothing_to_reserve=True) is True
    assert (order.fulfilment, order.nothing_to_ship) == (Fulfilment.UNRESERVED, True)
    assert order.stock_reserved(nothing_to_reserve=True) is False


def test_release_unreserves_but_never_unships() -> None:
    order = confirmed()
    order.stock_reserved()
    assert order.stock_released() is True
    assert order.fulfilment is Fulfilment.UNRESERVED
    shipped = confirmed()
    shipped.shipment_dispatched("S1", [("BOLT", D("10"))], fully_shipped=True)
    assert shipped.stock_released() is False
    assert shipped.fulfilment is Fulfilment.SHIPPED


def test_stock_facts_do_not_touch_drafts_or_service_orders() -> None:
    draft = make_order()
    assert draft.stock_reserved() is False
    assert draft.fulfilment is Fulfilment.UNRESERVED
    services_only = confirmed(service())
    assert services_only.stock_reserved() is False
    assert services_only.fulfilment is Fulfilment.UNRESERVED


def test_shipments_add_quantities_once_each() -> None:
    order = confirmed(product("A", "10"), service("S"), product("B", "4"), product("A", "5"))
    order.stock_reserved()
    assert order.shipment_dispatched("S1", [("A", D("12"))], fully_shipped=False) is True
    assert order.fulfilment is Fulfilment.PARTIALLY_SHIPPED
    assert [line.shipped_quantity for line in order.lines] == [D("10"), 0, 0, D("2")]
    assert order.shipment_dispatched("S1", [("A", D("12"))], fully_shipped=False) is False
    assert [line.shipped_quantity for line in order.lines] == [D("10"), 0, 0, D("2")]
    assert order.shipment_dispatched("S2", [("A", D("3")), ("B", D("4"))], True) is True
    assert [line.shipped_quantity for line in order.lines] == [D("10"), 0, D("4"), D("5")]
    assert order.fulfilment is Fulfilment.SHIPPED
    order.complete()
    assert order.status is OrderStatus.CONCLUDED


# --- billing, from billing's facts --------------------------------------------------------------


def test_billing_moves_forward_only() -> None:
    order = make_order(status=OrderStatus.CONCLUDED, fulfilment=Fulfilment.SHIPPED)
    assert order.payment_received("partially_paid") is True  # even before invoice.issued
    assert order.invoice_issued() is False
    assert order.billing is Billing.PARTIALLY_PAID
    assert order.payment_received("paid") is True
    assert order.payment_received("partially_paid") is False  # a stale payment
    assert order.billing is Billing.PAID
    assert order.payment_received("credited") is True
    assert order.billing is Billing.CREDITED


def test_an_order_with_several_invoices_is_paid_only_when_all_are() -> None:
    order = make_order(status=OrderStatus.OPEN)
    gross = order.totals.gross
    down = (gross * D("0.3")).quantize(D("0.01"))
    assert order.invoice_issued("issued", down, invoice_id="down") is True
    assert order.billing is Billing.PARTIALLY_INVOICED
    assert order.payment_received("paid", invoice_id="down") is True
    assert order.billing is Billing.PARTIALLY_PAID  # most of the order is not even invoiced
    assert order.invoice_issued("issued", gross, invoice_id="final") is True  # its total moved
    assert order.billing is Billing.PARTIALLY_PAID  # the final invoice is owed
    assert order.payment_received("paid", invoice_id="final") is True
    assert order.billing is Billing.PAID
    assert order.payment_reversed("issued", invoice_id="final") is True
    assert order.billing is Billing.PARTIALLY_PAID
    assert order.invoice_overdue("final") is True
    assert order.billing is Billing.OVERDUE
    assert order.payment_received("partially_paid", invoice_id="final") is False
    assert order.billing is Billing.OVERDUE  # still owing after its due date
    assert order.payment_received("paid", invoice_id="final") is True
    assert order.billing is Billing.PAID
    assert order.payment_received("credited", invoice_id="down") is False  # settled either way
    assert order.payment_received("credited", invoice_id="final") is True
    assert order.billing is Billing.CREDITED
    assert order.invoice_states == {"down": "credited", "final": "credited"}


@pytest.mark.parametrize(
    ("statuses", "fully", "expected"),
    [
        ([], True, Billing.NOT_INVOICED),
        (["issued"], False, Billing.PARTIALLY_INVOICED),
        (["issued", "issued"], True, Billing.INVOICED),
        (["paid", "issued"], True, Billing.PARTIALLY_PAID),
        (["paid"], False, Billing.PARTIALLY_PAID),
        (["paid", "credited"], True, Billing.PAID),
        (["credited", "credited"], True, Billing.CREDITED),
        (["paid", "overdue"], True, Billing.OVERDUE),
        (["credited"], False, Billing.PARTIALLY_INVOICED),
    ],
)
def test_the_billing_state_of_several_invoices(
    statuses: list[str], fully: bool, expected: Billing
) -> None:
    assert billing_of_invoices(statuses, fully_invoiced=fully) is expected


def test_invoice_then_payments() -> None:
    order = make_order(status=OrderStatus.CONCLUDED, fulfilment=Fulfilment.SHIPPED)
    assert order.invoice_issued() is True
    assert order.billing is Billing.INVOICED
    assert order.invoice_issued() is False
    assert order.payment_received("issued") is False
    assert order.payment_received("nonsense") is False
    assert order.billing is Billing.INVOICED


def test_invoiced_in_parts_then_in_full() -> None:
    order = make_order(status=OrderStatus.OPEN, fulfilment=Fulfilment.PARTIALLY_SHIPPED)
    gross = order.totals.gross
    part = (gross / 4).quantize(D("0.01"))
    assert order.invoice_issued("issued", part) is True
    assert (order.billing, order.invoiced_total, order.uninvoiced_total) == (
        Billing.PARTIALLY_INVOICED,
        part,
        gross - part,
    )
    assert order.invoice_issued("issued", part) is False  # the same fact again
    assert order.invoice_issued("issued", gross) is True
    assert (order.billing, order.uninvoiced_total) == (Billing.INVOICED, 0)
    assert order.invoice_issued("issued", part) is False  # a stale one never goes back
    assert (order.billing, order.invoiced_total) == (Billing.INVOICED, gross)


def test_documents_are_listed_once() -> None:
    order = make_order()
    doc = Document("d-1", "order_confirmation", "SO-2026-000001", "/documents/d-1/content")
    assert order.add_document(doc) is True
    assert order.add_document(doc) is False
    assert order.documents == [doc]
