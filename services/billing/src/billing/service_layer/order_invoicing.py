"""Invoicing by policy: what billing knows about each order (its latest snapshot, its policy,
the quantities shipped) and the invoices that policy issues, each for what is not invoiced yet.

- order.created / order.confirmed keep the order's snapshot (and invoice shipments that
  arrived before it, under `on_delivery`);
- shipment.dispatched records the quantities shipped and, under `on_delivery`, invoices them;
- order.completed invoices whatever is not invoiced yet (nothing under `manual`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from billing.domain import invoicing_policy as policies
from billing.domain import model
from billing.domain.invoicing_policy import Invoiced, InvoicingPolicy, InvoicingState
from billing.domain.model import Invoice
from billing.service_layer import down_payments
from billing.service_layer.down_payments import DownPaymentsUnitOfWork
from billing.service_layer.invoicing import issue_for
from contracts import CloudEvent
from contracts import common as c
from contracts.events import ShipmentDispatched
from servicekit.mapping import copied

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BillableOrder:
    """An order as billing knows it: its latest snapshot (JSON) and its own policy, if set."""

    order_id: str
    snapshot: dict[str, Any] | None = None
    policy: InvoicingPolicy | None = None
    status: str | None = None  # draft, open, concluded, cancelled (as the order's events said)

    def policy_or(self, default: InvoicingPolicy) -> InvoicingPolicy:
        return self.policy or default

    @property
    def order(self) -> c.OrderSnapshot | None:
        return c.OrderSnapshot.model_validate(self.snapshot) if self.snapshot else None


class BillableOrderRepository(Protocol):
    async def lock(self, order_id: str) -> BillableOrder:
        """The order (created empty if unknown), locked until commit: invoicing one order is
        serialised."""
        ...

    async def get(self, order_id: str) -> BillableOrder | None: ...

    async def save(self, order: BillableOrder) -> None: ...

    async def state(self, order_id: str, snapshot: dict[str, Any], status: str) -> BillableOrder:
        """`lock`, then `save` with the order's latest `snapshot` and `status`, its policy kept:
        the order as it is then."""
        ...

    async def add_shipment(
        self, order_id: str, shipment_id: str, lines: list[tuple[str, Decimal]]
    ) -> None:
        """Record a shipment's quantities per SKU; the same shipment again changes nothing."""
        ...

    async def shipped(self, order_id: str) -> dict[str, Decimal]:
        """The quantity shipped per SKU, over all the order's shipments."""
        ...

    async def invoiced(self, order_id: str) -> dict[int, Invoiced]:
        """Per order line number, what the order's invoices took (recurring ones aside)."""
        ...

    async def recurring_candidates(self) -> list[str]:
        """The open or concluded orders with recurring billing settings."""
        ...

    async def recurring_periods(self, order_id: str) -> set[date]:
        """The periods the order already has its recurring invoice for."""
        ...

    async def add_recurring(self, order_id: str, period_start: date, invoice_id: str) -> None: ...


class OrderInvoicingUnitOfWork(DownPaymentsUnitOfWork, Protocol):
    @property
    def billable_orders(self) -> BillableOrderRepository: ...


def stated_lines(order: c.OrderSnapshot) -> list[model.InvoiceLine]:
    """The order's lines, their amounts checked (`UninvoiceableOrder` when they do not add up)."""
    lines, _ = model.reconcile(
        [copied(model.StatedLine, line) for line in order.lines],
        model.Totals(
            net=order.totals.net,
            tax=order.totals.tax,
            gross=order.totals.gross,
            taxes=tuple(copied(model.TaxAmount, tax) for tax in order.totals.taxes),
        ),
        currency=order.currency,
    )
    return lines


async def order_known(
    uow: OrderInvoicingUnitOfWork,
    cause: CloudEvent[Any],
    order: c.OrderSnapshot,
    *,
    today: date,
    default_policy: InvoicingPolicy,
    status: str = "open",
) -> Invoice | None:
    """Keep the order's latest snapshot and status; under `on_delivery`, invoice what shipped
    before."""
    snapshot = order.model_dump(mode="json")
    billable = await uow.billable_orders.state(order.order_id, snapshot, status)
    if order.recurring is not None:
        return None  # invoiced per period (`recurring`)
    if billable.policy_or(default_policy) is not InvoicingPolicy.ON_DELIVERY:
        return None
    return await _invoice_shipped(uow, cause, order, today=today)


async def shipment_dispatched(
    uow: OrderInvoicingUnitOfWork,
    cause: CloudEvent[ShipmentDispatched],
    *,
    today: date,
    default_policy: InvoicingPolicy,
) -> Invoice | None:
    """Record what shipped; under `on_delivery`, invoice the shipped quantities not invoiced."""
    data = cause.data
    billable = await uow.billable_orders.lock(data.order_id)
    await uow.billable_orders.add_shipment(
        data.order_id, data.shipment_id, [(line.sku, line.quantity) for line in data.lines]
    )
    order = billable.order
    if order is None or billable.policy_or(default_policy) is not InvoicingPolicy.ON_DELIVERY:
        return None
    if order.recurring is not None:
        return None  # invoiced per period (`recurring`)
    return await _invoice_shipped(uow, cause, order, today=today)


async def order_completed(
    uow: OrderInvoicingUnitOfWork,
    cause: CloudEvent[Any],
    order: c.OrderSnapshot,
    *,
    today: date,
    default_policy: InvoicingPolicy,
) -> Invoice | None:
    """Invoice whatever the completed order has not had invoiced (nothing under `manual`)."""
    lines = stated_lines(order)
    snapshot = order.model_dump(mode="json")
    billable = await uow.billable_orders.state(order.order_id, snapshot, "concluded")
    if order.recurring is not None:
        log.info("order %s is billed per period: nothing issued on completion", order.order_id)
        return None
    if billable.policy_or(default_policy) is InvoicingPolicy.MANUAL:
        log.info("order %s is invoiced manually: nothing issued on completion", order.order_id)
        return None
    invoiced = await uow.billable_orders.invoiced(order.order_id)
    return await _issue(
        uow, cause, order, lines, invoiced, policies.remaining(lines, invoiced), today
    )


async def _invoice_shipped(
    uow: OrderInvoicingUnitOfWork, cause: CloudEvent[Any], order: c.OrderSnapshot, *, today: date
) -> Invoice | None:
    lines = stated_lines(order)
    shipped = policies.shipped_per_line(lines, await uow.billable_orders.shipped(order.order_id))
    invoiced = await uow.billable_orders.invoiced(order.order_id)
    not_invoiced = policies.shipped_not_invoiced(shipped, invoiced)
    return await _issue(uow, cause, order, lines, invoiced, not_invoiced, today)


async def _issue(
    uow: OrderInvoicingUnitOfWork,
    cause: CloudEvent[Any] | None,
    order: c.OrderSnapshot,
    lines: list[model.InvoiceLine],
    invoiced: dict[int, Invoiced],
    quantities: dict[int, Decimal],
    today: date,
    correlation_id: str | None = None,
    invoice_id: str | None = None,
) -> Invoice | None:
    """An invoice for `quantities` of the order's lines, capped at what is left; None when
    nothing is left to invoice."""
    chosen = policies.invoice_lines(lines, invoiced, quantities, currency=order.currency)
    if not chosen:
        log.info("order %s: nothing left to invoice", order.order_id)
        return None
    lines_now = [copied(model.InvoiceLine, line) for line in chosen]
    deduction, left = await down_payments.deduction(uow, order, lines_now)
    before = sum((line.net + line.tax for line in invoiced.values()), down_payments.gross_of(left))
    invoice = await issue_for(
        uow,
        cause,
        order,
        lines_now + deduction,
        invoiced_before=before,
        today=today,
        correlation_id=correlation_id,
        invoice_id=invoice_id,
        announce={"down_payment_deducted": down_payments.deducted_amount(deduction, order.currency)}
        if deduction
        else None,
    )
    if deduction:
        await down_payments.deducted(uow, cause, invoice, deduction, left, correlation_id)
    return invoice


@dataclass(frozen=True)
class LineProgress:
    line_no: int
    sku: str
    quantity: Decimal
    shipped: Decimal
    invoiced: Decimal


@dataclass(frozen=True)
class InvoicingProgress:
    """How far an order is invoiced: by its policy, in its currency."""

    order_id: str
    policy: InvoicingPolicy
    own_policy: bool
    currency: str | None
    order_total: Decimal | None
    invoiced_total: Decimal
    uninvoiced_total: Decimal | None
    state: InvoicingState
    lines: list[LineProgress]
    # what the order's down-payment invoices took that its later invoices did not deduct yet
    down_payment_left: Decimal = Decimal(0)


class OrderUnknown(Exception):
    pass


class BeyondInvoiceable(model.BillingError):
    """A manual invoice asks for more of a line than may be invoiced: nothing is issued."""


class UnknownLine(model.BillingError):
    def __init__(self, index: int, line_no: int) -> None:
        super().__init__(f"the order has no line {line_no}")
        self.index = index


class OrderNotInvoiceable(model.BillingError):
    """The order was cancelled, or is billed per period: nothing is invoiced by hand."""


async def chosen_quantities(
    uow: OrderInvoicingUnitOfWork,
    billable: BillableOrder,
    quantities: list[tuple[int, Decimal]],
    *,
    default_policy: InvoicingPolicy,
) -> tuple[c.OrderSnapshot, list[model.InvoiceLine], dict[int, Invoiced], dict[int, Decimal]]:
    """The order, its lines, what they had invoiced and the quantities asked for by line, once
    checked against what the order's policy allows: under `on_delivery` what shipped and is not
    invoiced, else what is not invoiced yet (`BeyondInvoiceable`, 409). `OrderUnknown` when
    billing knows no snapshot of the order; `UnknownLine` names the line asked for;
    `OrderNotInvoiceable` for a cancelled order or one billed per period. The caller holds the
    order's lock."""
    order = billable.order
    if order is None:
        raise OrderUnknown(billable.order_id)
    if billable.status == "cancelled":
        raise OrderNotInvoiceable(f"order {order.number} is cancelled")
    if order.recurring is not None:  # its schedule invoices each period: by hand would bill twice
        raise OrderNotInvoiceable(f"order {order.number} is billed per period")
    lines = stated_lines(order)
    invoiced = await uow.billable_orders.invoiced(order.order_id)
    if billable.policy_or(default_policy) is InvoicingPolicy.ON_DELIVERY:
        shipped = policies.shipped_per_line(
            lines, await uow.billable_orders.shipped(order.order_id)
        )
        allowed = policies.shipped_not_invoiced(shipped, invoiced)
        what = "shipped and not invoiced"
    else:
        allowed = policies.remaining(lines, invoiced)
        what = "not invoiced"
    wanted: dict[int, Decimal] = {}
    for index, (line_no, quantity) in enumerate(quantities):
        if line_no not in allowed:
            raise UnknownLine(index, line_no)
        wanted[line_no] = wanted.get(line_no, Decimal(0)) + quantity
    for line_no, quantity in wanted.items():
        if quantity > allowed[line_no]:
            raise BeyondInvoiceable(
                f"line {line_no}: {model.plain(quantity)} asked, but only "
                f"{model.plain(allowed[line_no])} is {what}"
            )
    return order, lines, invoiced, wanted


async def invoice_manually(
    uow: OrderInvoicingUnitOfWork,
    order_id: str,
    quantities: list[tuple[int, Decimal]],
    *,
    today: date,
    default_policy: InvoicingPolicy,
    correlation_id: str | None = None,
    invoice_id: str | None = None,
) -> Invoice:
    """An invoice of the chosen quantities of the order's lines, issued at once (the checks of
    `chosen_quantities`); it gets `invoice_id` (an issued draft's) when given."""
    billable = await uow.billable_orders.lock(order_id)
    order, lines, invoiced, wanted = await chosen_quantities(
        uow, billable, quantities, default_policy=default_policy
    )
    invoice = await _issue(
        uow,
        None,
        order,
        lines,
        invoiced,
        wanted,
        today,
        correlation_id=correlation_id,
        invoice_id=invoice_id,
    )
    assert invoice is not None  # every quantity asked for is positive and allowed
    return invoice


async def set_policy(uow: OrderInvoicingUnitOfWork, order_id: str, policy: InvoicingPolicy) -> None:
    """Give the order a policy of its own (also before billing has heard of the order).

    It applies to what happens next: what earlier events invoiced stays invoiced.
    """
    billable = await uow.billable_orders.lock(order_id)
    await uow.billable_orders.save(replace(billable, policy=policy))


async def progress(
    uow: OrderInvoicingUnitOfWork, order_id: str, *, default_policy: InvoicingPolicy
) -> InvoicingProgress:
    """The order's invoiced and uninvoiced amounts and quantities; `OrderUnknown` if billing
    has heard nothing of it."""
    billable = await uow.billable_orders.get(order_id)
    if billable is None:
        raise OrderUnknown(order_id)
    order = billable.order
    invoiced = await uow.billable_orders.invoiced(order_id)
    invoiced_gross = sum((line.net + line.tax for line in invoiced.values()), Decimal(0))
    lines: list[LineProgress] = []
    total: Decimal | None = None
    if order is not None:
        invoiced_gross = model.money(invoiced_gross, order.currency)
        total = order.totals.gross
        shipped = policies.shipped_per_line(
            [copied(model.StatedLine, line) for line in order.lines],
            await uow.billable_orders.shipped(order_id),
        )
        lines = [
            LineProgress(
                line_no=line.line_no,
                sku=line.sku,
                quantity=model.plain(line.quantity),
                shipped=model.plain(shipped.get(line.line_no, Decimal(0))),
                invoiced=model.plain(invoiced.get(line.line_no, Invoiced()).quantity),
            )
            for line in order.lines
        ]
    return InvoicingProgress(
        order_id=order_id,
        policy=billable.policy_or(default_policy),
        own_policy=billable.policy is not None,
        currency=order.currency if order is not None else None,
        order_total=total,
        invoiced_total=invoiced_gross,
        uninvoiced_total=model.money(total - invoiced_gross, order.currency)
        if order is not None and total is not None
        else None,
        state=policies.state_of(total or Decimal(0), invoiced_gross, bool(invoiced)),
        lines=lines,
        down_payment_left=model.money(
            down_payments.gross_of(await uow.down_payments.left(order_id)),
            order.currency if order is not None else None,
        ),
    )


async def order_cancelled(uow: OrderInvoicingUnitOfWork, order_id: str) -> None:
    """A cancelled order gets no more recurring invoices."""
    billable = await uow.billable_orders.lock(order_id)
    await uow.billable_orders.save(replace(billable, status="cancelled"))
