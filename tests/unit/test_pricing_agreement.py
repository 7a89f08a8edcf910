"""An order's totals, its invoice and the printed documents agree to the minor unit.

Random orders (fractional quantities, discounts, several tax rates and currencies) go the way
they go in production, through each service's own code: orders' domain computes the order and
its snapshot; billing's use case issues the invoice from that snapshot (as its handler does,
after a trip through JSON); documents turn the invoice event and the order snapshot into what
their PDFs print. Every amount must come out identical everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from billing_fakes import FakeUnitOfWork
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import Invoice
from billing.service_layer.order_invoicing import order_completed
from contracts import EventType, new_event
from contracts.common import OrderSnapshot
from contracts.events import InvoiceIssued, OrderCompleted
from documents.adapters.pdf.text import format_amount
from documents.domain.model import PrintableDocument, tax_breakdown
from documents.service_layer import printing
from orders.domain.content import LineInput, LineKind, build_lines
from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.service_layer.snapshots import snapshot
from pricing import minor_units

# Currencies with 2 minor digits, none (JPY, KRW), 3 (KWD, BHD) and 4 (CLF).
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "JPY", "KRW", "KWD", "BHD", "CLF")
COMMON_RATES = ("0", "2.1", "5", "5.5", "7", "7.7", "10", "19", "20", "21", "21.00", "25")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
CUSTOMER = Customer(id="cust-1", name="Kunde GmbH", email="ap@example.com", created_at=NOW)


def _decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


# Inputs as the orders API accepts them: quantities > 0 with up to 3 decimals, prices and
# percentages with up to 4 (percentages from 0 to 100).
quantities = st.one_of(_decimals("0.001", "20", 3), _decimals("1", "100000", 3))
unit_prices = st.one_of(
    _decimals("0", "50", 2), _decimals("0", "1000000", 2), _decimals("0", "100", 4)
)
discounts = st.one_of(
    st.just(Decimal(0)), _decimals("0", "100", 2), _decimals("0", "100", 4), st.just(Decimal(100))
)
tax_rates = st.one_of(st.sampled_from(COMMON_RATES).map(Decimal), _decimals("0", "100", 4))

line_inputs = st.builds(
    LineInput,
    sku=st.sampled_from(["SKU-1", "SKU-2", "SVC-1"]),
    kind=st.sampled_from(list(LineKind)),
    description=st.just("item"),
    quantity=quantities,
    unit_price=unit_prices,
    tax_rate=tax_rates,
    discount_percent=discounts,
)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    return Order(
        id="order-1",
        number="SO-2026-000001",
        customer_id=CUSTOMER.id,
        currency=draw(st.sampled_from(CURRENCIES)),
        order_date=TODAY,
        lines=build_lines(draw(st.lists(line_inputs, min_size=1, max_size=8))),
        created_at=NOW,
        updated_at=NOW,
    )


# --- billing's use case on billing's own in-memory unit of work (its tests' fake, which its
# contract tests hold to the SQL adapters), so a change of billing's protocol shows here too ---


def _issue_invoice(order: OrderSnapshot) -> tuple[Invoice, InvoiceIssued]:
    completed = new_event(
        EventType.ORDER_COMPLETED, OrderCompleted(order=order), source="/orders", subject="o"
    )
    uow = FakeUnitOfWork()
    completing = order_completed(
        uow,
        completed,
        order,
        today=TODAY,
        default_policy=InvoicingPolicy.ON_COMPLETION,
    )
    asyncio.run(completing)
    [invoice] = uow.invoices.rows.values()
    [issued] = uow.events
    assert isinstance(issued.data, InvoiceIssued)
    return invoice, issued.data


Model = TypeVar("Model", bound=BaseModel)


def _over_the_wire(payload: Model) -> Model:
    """The payload as the consumer reads it from Kafka: serialized to JSON and parsed again."""
    return type(payload).model_validate_json(payload.model_dump_json())


# --- what each service ends up with -------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    """The amounts a service holds for one order: per line, per tax rate, and in total."""

    lines: tuple[tuple[int, Decimal, Decimal], ...]  # line number, net, tax
    taxes: tuple[tuple[Decimal, Decimal, Decimal], ...]  # rate, base, tax (ascending rate)
    totals: tuple[Decimal, Decimal, Decimal]  # net, tax, gross

    def printed(self, currency: str) -> tuple[Any, ...]:
        """The same amounts as the PDFs print them."""

        def amount(value: Decimal) -> str:
            return format_amount(value, currency)

        return (
            [(no, amount(net), amount(tax)) for no, net, tax in self.lines],
            [(rate, amount(b), amount(a)) for rate, b, a in self.taxes],
            [amount(value) for value in self.totals],
        )


def _taxes(taxes: Iterable[Any]) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
    return tuple(sorted((t.rate.normalize(), t.base, t.amount) for t in taxes))


def of_order(order: Order) -> Amounts:
    totals = order.totals
    return Amounts(
        lines=tuple((line.line_no, line.amounts.net, line.amounts.tax) for line in order.lines),
        taxes=_taxes(totals.taxes),
        totals=(totals.net, totals.tax, totals.gross),
    )


def _stated(lines: Iterable[Any], taxes: Iterable[Any], totals: Any) -> Amounts:
    """The amounts of a document whose lines state `net_amount` and `tax_amount`."""
    return Amounts(
        lines=tuple((line.line_no, line.net_amount, line.tax_amount) for line in lines),
        taxes=_taxes(taxes),
        totals=(totals.net, totals.tax, totals.gross),
    )


def of_invoice(invoice: Invoice) -> Amounts:
    return _stated(invoice.lines, invoice.totals.taxes, invoice.totals)


def of_document(document: PrintableDocument) -> Amounts:
    return _stated(document.lines, document.taxes, document.totals)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders())
def test_order_invoice_and_printed_documents_agree_to_the_minor_unit(order: Order) -> None:
    ordered = of_order(order)
    assert sum(line[1] for line in ordered.lines) == ordered.totals[0]

    order_snapshot = _over_the_wire(snapshot(order, CUSTOMER))
    invoice, issued = _issue_invoice(order_snapshot)
    invoice_document = printing.invoice(_over_the_wire(issued))
    confirmation = printing.order_confirmation(order_snapshot)

    assert of_invoice(invoice) == ordered
    assert of_document(invoice_document) == ordered
    assert of_document(confirmation) == ordered
    currency = order.currency
    assert of_document(invoice_document).printed(currency) == ordered.printed(currency)
    # A payload without a breakdown gets one computed from its printed lines: the same one.
    assert _taxes(tax_breakdown(invoice_document.lines, currency)) == ordered.taxes
    assert invoice.currency == invoice_document.currency == currency
    # Every amount is written with exactly the currency's minor digits (JPY 1235, BHD 1.245).
    for held in (ordered, of_invoice(invoice)):
        amounts = [
            *held.totals,
            *(value for _, base, tax in held.taxes for value in (base, tax)),
            *(value for _, net, tax in held.lines for value in (net, tax)),
        ]
        assert {-value.as_tuple().exponent for value in amounts} == {minor_units(currency)}
