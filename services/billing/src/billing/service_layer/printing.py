"""Hand documents to the documents service to print: a customer's statement, an e-invoice.

Billing never calls documents. It records an event carrying everything the document shows
(`suite.statement.prepared.v1`, `suite.einvoice.prepared.v1`); documents renders or assembles
the PDF from it, stores it and announces it. Nothing else changes in billing, so a request is
only an event in the outbox (ADR 22).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from billing.domain.model import Invoice
from billing.domain.receivables import Statement
from billing.service_layer.events import SOURCE
from billing.service_layer.receivables import (
    CustomerStatement,
    ReceivablesUnitOfWork,
    customer_statement,
)
from contracts import EventType, new_event
from contracts import events as e

log = logging.getLogger(__name__)

COMMERCIAL_INVOICE = "380"  # UNTDID 1001
EN16931 = "urn:cen.eu:en16931:2017"


@dataclass(frozen=True)
class Owner:
    """Who a customer belongs to (orders' record owner and team), as billing last heard."""

    owner: str | None = None
    team: str | None = None


async def request_statement(
    uow: ReceivablesUnitOfWork,
    customer_id: str,
    start: date,
    end: date,
    *,
    statement_id: str,
    owner: Owner | None = None,
    correlation_id: str | None = None,
) -> CustomerStatement:
    """Compute the customer's statement and record `suite.statement.prepared.v1` with all of
    it (keyed by the customer id), for documents to print."""
    statement = await customer_statement(uow, customer_id, start, end)
    prepared = e.StatementPrepared(
        statement_id=statement_id,
        customer_id=customer_id,
        customer_name=await uow.receivables.customer_name(customer_id),
        period_start=start,
        period_end=end,
        accounts=[_account(account) for account in statement.accounts],
        open_items=[
            e.StatementOpenItem(
                invoice_id=item.invoice_id,
                invoice_number=item.number,
                order_id=item.order_id,
                currency=item.currency,
                issue_date=item.issue_date,
                due_date=item.due_date,
                gross=item.gross,
                open=item.open,
                days_past_due=max(0, (end - item.due_date).days),
            )
            for item in statement.open_items
        ],
        credit=[e.StatementAmount(currency=c, amount=a) for c, a in statement.credit.items()],
        owner=owner.owner if owner else None,
        team=owner.team if owner else None,
    )
    await uow.record(
        new_event(
            EventType.STATEMENT_PREPARED,
            prepared,
            source=SOURCE,
            subject=customer_id,
            correlation_id=correlation_id,
        )
    )
    log.info("statement %s of customer %s (%s..%s) prepared", statement_id, customer_id, start, end)
    return statement


def _account(account: Statement) -> e.StatementAccount:
    return e.StatementAccount(
        currency=account.currency,
        opening_balance=account.opening_balance,
        entries=[
            e.StatementEntry(
                on=line.entry.on,
                kind=line.entry.kind.value,
                reference=line.entry.reference,
                debit=line.entry.debit,
                credit=line.entry.credit,
                balance=line.balance,
            )
            for line in account.lines
        ],
        closing_balance=account.closing_balance,
    )


async def request_einvoice(
    uow: ReceivablesUnitOfWork,
    invoice: Invoice,
    xml: bytes,
    *,
    document_type: str = COMMERCIAL_INVOICE,
    correlation_id: str | None = None,
) -> e.EInvoicePrepared:
    """Record `suite.einvoice.prepared.v1` carrying the invoice's CII XML (keyed by its
    order), for documents to embed in the invoice's PDF (Factur-X, PDF/A-3)."""
    prepared = e.EInvoicePrepared(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        document_type=document_type,
        currency=invoice.currency,
        net_total=invoice.totals.net,
        tax_total=invoice.totals.tax,
        gross_total=invoice.totals.gross,
        profile=EN16931,
        xml=xml.decode("utf-8"),
    )
    await uow.record(
        new_event(
            EventType.EINVOICE_PREPARED,
            prepared,
            source=SOURCE,
            subject=invoice.order_id,
            correlation_id=correlation_id,
        )
    )
    log.info("e-invoice of %s prepared for printing", invoice.number)
    return prepared
