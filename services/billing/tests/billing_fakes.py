"""The in-memory unit of work of the billing tests: fake repositories behind the service layer's
Protocols.

The unit tests run the use cases on it; `integration/test_repository_contract.py` runs the same
cases on it and on the SQL adapters against PostgreSQL, so it cannot drift from the real thing.
It lives beside `conftest.py` (which puts this folder on the import path) so both folders import
the one fake.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from billing.domain.down_payments import RateLeft, left_to_deduct
from billing.domain.invoicing_policy import Invoiced
from billing.domain.model import Invoice, Payment
from billing.domain.schedules import Schedule
from billing.service_layer.down_payments import MarkedKind
from billing.service_layer.order_invoicing import BillableOrder
from billing.service_layer.unit_of_work import InvoiceFilter, Position
from contracts import CloudEvent


class FakeInvoices:
    """Stores copies, as a database would: what the use case does not save is not kept."""

    def __init__(self) -> None:
        self.rows: dict[str, Invoice] = {}
        self.counters: dict[int, int] = {}

    async def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        found = self.rows.get(invoice_id)
        return copy.deepcopy(found) if found else None

    async def lock(self, invoice_id: str) -> bool:
        return invoice_id in self.rows

    async def for_order(self, order_id: str) -> Invoice | None:
        for invoice in self.rows.values():
            if invoice.order_id == order_id:
                return copy.deepcopy(invoice)
        return None

    async def next_sequence(self, year: int) -> int:
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    async def add(self, invoice: Invoice) -> None:
        invoice.created_at = datetime.now(UTC)
        self.rows[invoice.id] = copy.deepcopy(invoice)

    async def add_payment(self, invoice: Invoice, payment: Payment) -> None:
        # Like the SQL adapter: the payment, the paid total and the status; nothing else.
        stored = self.rows[invoice.id]
        stored.payments.append(copy.deepcopy(payment))
        stored.paid_total = invoice.paid_total
        stored.status = invoice.status

    async def search(
        self, where: InvoiceFilter, *, limit: int, after: Position | None = None
    ) -> list[Invoice]:
        def position(invoice: Invoice) -> tuple[datetime, str]:
            assert invoice.created_at is not None, "stored invoices have their creation time"
            return invoice.created_at, invoice.id

        def wanted(invoice: Invoice) -> bool:
            return (
                where.order_id in (None, invoice.order_id)
                and where.status in (None, invoice.status)
                and where.customer_id in (None, invoice.customer.id)
                and (after is None or position(invoice) < (after.created_at, after.id))
            )

        found = sorted(filter(wanted, self.rows.values()), key=position, reverse=True)
        return [copy.deepcopy(invoice) for invoice in found[:limit]]


class FakeDownPayments:
    """The marks on down-payment and deduction lines; amounts come from the fake invoices."""

    def __init__(self, invoices: FakeInvoices) -> None:
        self.invoices = invoices
        self.marks: dict[tuple[str, int], tuple[str, MarkedKind]] = {}

    async def mark(
        self, order_id: str, invoice_id: str, line_nos: list[int], kind: MarkedKind
    ) -> None:
        for no in line_nos:
            assert (invoice_id, no) not in self.marks, "one mark per line"
            self.marks[(invoice_id, no)] = (order_id, kind)

    async def left(self, order_id: str) -> list[RateLeft]:
        return left_to_deduct(
            (line.tax_rate, line.net_amount, line.tax_amount)
            for invoice in self.invoices.rows.values()
            for line in invoice.lines
            if self.marks.get((invoice.id, line.line_no), ("",))[0] == order_id
        )

    async def numbers(self, order_id: str) -> list[str]:
        ids = {
            invoice_id
            for (invoice_id, _), (order, kind) in self.marks.items()
            if order == order_id and kind is MarkedKind.DOWN_PAYMENT
        }
        found = [self.invoices.rows[i] for i in ids]
        return [i.number for i in sorted(found, key=lambda i: (i.created_at, i.number))]


class FakeSchedules:
    """Recurring schedules: active with no pauses until saved otherwise."""

    def __init__(self) -> None:
        self.rows: dict[str, Schedule] = {}

    async def get(self, order_id: str) -> Schedule:
        return copy.deepcopy(self.rows.get(order_id, Schedule(order_id)))

    async def save(self, schedule: Schedule) -> None:
        self.rows[schedule.order_id] = copy.deepcopy(schedule)


class FakeBillableOrders:
    """What billing knows about orders; invoiced quantities come from the fake invoices."""

    def __init__(self, invoices: FakeInvoices, down_payments: FakeDownPayments) -> None:
        self.invoices = invoices
        self.down_payments = down_payments
        self.rows: dict[str, BillableOrder] = {}
        self.shipments: dict[tuple[str, str, str], Decimal] = {}
        self.recurring: dict[tuple[str, date], str] = {}

    async def lock(self, order_id: str) -> BillableOrder:
        return self.rows.setdefault(order_id, BillableOrder(order_id))

    async def get(self, order_id: str) -> BillableOrder | None:
        return self.rows.get(order_id)

    async def save(self, order: BillableOrder) -> None:
        self.rows[order.order_id] = order

    async def state(self, order_id: str, snapshot: dict[str, Any], status: str) -> BillableOrder:
        known = await self.lock(order_id)
        self.rows[order_id] = replace(known, snapshot=snapshot, status=status)
        return self.rows[order_id]

    async def add_shipment(
        self, order_id: str, shipment_id: str, lines: list[tuple[str, Decimal]]
    ) -> None:
        if any(key[:2] == (order_id, shipment_id) for key in self.shipments):
            return
        for sku, quantity in lines:
            key = (order_id, shipment_id, sku)
            self.shipments[key] = self.shipments.get(key, Decimal(0)) + quantity

    async def shipped(self, order_id: str) -> dict[str, Decimal]:
        found: dict[str, Decimal] = {}
        for (order, _, sku), quantity in self.shipments.items():
            if order == order_id:
                found[sku] = found.get(sku, Decimal(0)) + quantity
        return found

    async def invoiced(self, order_id: str) -> dict[int, Invoiced]:
        found: dict[int, Invoiced] = {}
        periodic = set(self.recurring.values())
        for invoice in self.invoices.rows.values():
            if invoice.order_id != order_id or invoice.id in periodic:
                continue
            for line in invoice.lines:
                if (invoice.id, line.line_no) in self.down_payments.marks:
                    continue  # a down payment's line, or one deducting down payments
                was = found.get(line.line_no, Invoiced())
                found[line.line_no] = Invoiced(
                    was.quantity + line.quantity,
                    was.net + line.net_amount,
                    was.tax + line.tax_amount,
                )
        return found

    async def recurring_candidates(self) -> list[str]:
        return sorted(
            order.order_id
            for order in self.rows.values()
            if order.status in ("open", "concluded") and (order.snapshot or {}).get("recurring")
        )

    async def recurring_periods(self, order_id: str) -> set[date]:
        return {period for order, period in self.recurring if order == order_id}

    async def add_recurring(self, order_id: str, period_start: date, invoice_id: str) -> None:
        assert (order_id, period_start) not in self.recurring, "unique order and period"
        self.recurring[(order_id, period_start)] = invoice_id


class FakeUnitOfWork:
    """The invoices and the recorded events; changes are kept at once unless `transaction()`
    (what the caller's database transaction does) rolls them back."""

    def __init__(self) -> None:
        self.invoices = FakeInvoices()
        self.down_payments = FakeDownPayments(self.invoices)
        self.billable_orders = FakeBillableOrders(self.invoices, self.down_payments)
        self.recurring_schedules = FakeSchedules()
        self.events: list[CloudEvent[Any]] = []

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        self.events.append(event)

    async def issue(self, invoice: Invoice, event: CloudEvent[Any]) -> None:
        await self.invoices.add(invoice)
        await self.record(event)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeUnitOfWork]:
        """All of the block's changes, or none of them if it raises."""
        orders = self.billable_orders
        saved = copy.deepcopy(
            (
                self.invoices.rows,
                self.invoices.counters,
                self.events,
                orders.rows,
                orders.shipments,
                orders.recurring,
                self.down_payments.marks,
                self.recurring_schedules.rows,
            )
        )
        try:
            yield self
        except BaseException:
            (
                self.invoices.rows,
                self.invoices.counters,
                self.events,
                orders.rows,
                orders.shipments,
                orders.recurring,
                self.down_payments.marks,
                self.recurring_schedules.rows,
            ) = saved
            raise
