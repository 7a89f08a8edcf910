"""Down-payment invoices: part of an order invoiced before it is delivered, by percentage or a
fixed gross amount, issued at once and deducted from the order's next invoices
(`down_payments`).

Never more than is left to invoice: the order's gross total less what its invoices took of its
lines and what is left to deduct of earlier down payments (422 naming the field).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.domain import down_payments as rules
from billing.domain.down_payments import DownPaymentRefused
from billing.domain.model import Invoice, InvoiceLine, Totals, money, plain
from billing.service_layer.down_payments import MarkedKind, gross_of
from billing.service_layer.invoicing import issue_for
from billing.service_layer.order_invoicing import (
    OrderInvoicingUnitOfWork,
    OrderNotInvoiceable,
    OrderUnknown,
    stated_lines,
)
from contracts.events import InvoiceKind
from servicekit.mapping import copied


async def issue_down_payment(
    uow: OrderInvoicingUnitOfWork,
    order_id: str,
    *,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    today: date,
    correlation_id: str | None = None,
) -> Invoice:
    """Issue a down-payment invoice of `percent` of the order or of a gross `amount`.

    `OrderUnknown` (404); `OrderNotInvoiceable` (409) for a cancelled order or one billed per
    period; `DownPaymentRefused` (422, naming the field) beyond what is left to invoice.
    """
    billable = await uow.billable_orders.lock(order_id)
    order = billable.order
    if order is None:
        raise OrderUnknown(order_id)
    if billable.status == "cancelled":
        raise OrderNotInvoiceable(f"order {order.number} is cancelled")
    if order.recurring is not None:
        raise OrderNotInvoiceable(f"order {order.number} is billed per period")
    currency = order.currency
    lines = stated_lines(order)
    totals = Totals.of(lines, currency=currency)
    field = "body.percent" if percent is not None else "body.amount"
    if amount is not None and money(amount, currency) != amount:
        raise DownPaymentRefused(field, f"the amount must be in whole minor units of {currency}")
    if amount is not None and amount > totals.gross:
        raise DownPaymentRefused(
            field, f"{amount} {currency} is above the order's total of {totals.gross} {currency}"
        )
    invoiced = await uow.billable_orders.invoiced(order_id)
    left = await uow.down_payments.left(order_id)
    invoiced_gross = sum((line.net + line.tax for line in invoiced.values()), Decimal(0))
    open_gross = money(totals.gross - invoiced_gross - gross_of(left), currency)
    what = f"{plain(percent)} %" if percent is not None else f"{amount} {currency}"
    chosen = [
        copied(InvoiceLine, line)
        for line in rules.down_payment_lines(
            totals.taxes,
            totals.gross,
            currency=currency,
            description=f"Down payment of {what} on order {order.number}",
            percent=percent,
            amount=amount,
        )
    ]
    gross = sum((line.gross_amount for line in chosen), Decimal(0))
    if not chosen or gross <= 0:
        raise DownPaymentRefused(field, "the down payment comes to nothing")
    if gross > open_gross:
        raise DownPaymentRefused(
            field,
            f"a down payment of {gross} {currency} is above what is left to invoice of the "
            f"order ({open_gross} {currency}: its total less its invoices and down payments)",
        )
    invoice = await issue_for(
        uow,
        None,
        order,
        chosen,
        invoiced_before=invoiced_gross + gross_of(left),
        today=today,
        correlation_id=correlation_id,
        announce={"kind": InvoiceKind.DOWN_PAYMENT},
    )
    await uow.down_payments.mark(
        order_id, invoice.id, [line.line_no for line in chosen], MarkedKind.DOWN_PAYMENT
    )
    return invoice
