"""The unit of work on one database session: the invoices and the outbox.

The transaction belongs to the caller (the consumer for an event, the HTTP dependency for a
request), so a state change and the outbox rows of its events commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.billable_orders_repository import SqlBillableOrders
from billing.adapters.collection_repository import SqlCollection
from billing.adapters.credit_notes_repository import SqlCreditNoteRepository
from billing.adapters.customer_owners_repository import SqlCustomerOwners
from billing.adapters.down_payments_repository import SqlDownPayments
from billing.adapters.drafts_repository import SqlInvoiceDrafts
from billing.adapters.invoices_repository import (
    ADD_INVOICE,
    SqlInvoiceRepository,
    added_parameters,
)
from billing.adapters.payments_repository import SqlPaymentRepository
from billing.adapters.receivables_repository import SqlReceivables
from billing.adapters.schedules_repository import SqlRecurringSchedules
from billing.adapters.tables import metadata
from billing.domain.model import Invoice
from contracts import CloudEvent
from servicekit.unit_of_work import SqlUnitOfWorkBase


class SqlUnitOfWork(SqlUnitOfWorkBase):
    """The invoices, payments and outbox of one session (its transaction is the caller's)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, metadata)
        self.invoices = SqlInvoiceRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.receivables = SqlReceivables(session)
        self.collection = SqlCollection(session)
        self.billable_orders = SqlBillableOrders(session)
        self.credit_notes = SqlCreditNoteRepository(session)
        self.invoice_drafts = SqlInvoiceDrafts(session)
        self.down_payments = SqlDownPayments(session)
        self.recurring_schedules = SqlRecurringSchedules(session)
        self.customer_owners = SqlCustomerOwners(session)

    async def issue(self, invoice: Invoice, event: CloudEvent[Any]) -> None:
        """The invoice with its lines and taxes, and `event` recorded: one statement."""
        added = await self.write_and_record(ADD_INVOICE, added_parameters(invoice), event)
        invoice.created_at = added.created_at
