"""What the use cases need from storage: the invoices, and an outbox for the events they cause.

The transaction belongs to the caller (the consumer for an event, the view for a request), so a
state change and the outbox rows of its events always commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from billing.domain.model import Invoice, InvoiceStatus, Payment
from contracts import CloudEvent
from servicekit.unit_of_work import RecordsEvents


@dataclass(frozen=True)
class InvoiceFilter:
    order_id: str | None = None
    status: InvoiceStatus | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a page of invoices (newest first) ended."""

    created_at: datetime
    id: str


class InvoiceRepository(Protocol):
    async def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        """The invoice with its lines and payments; `for_update` locks it until commit."""
        ...

    async def lock(self, invoice_id: str) -> bool:
        """Lock the invoice until commit; False when there is no such invoice."""
        ...

    async def for_order(self, order_id: str) -> Invoice | None: ...

    async def next_sequence(self, year: int) -> int:
        """The next number of `year`, from a counter locked until commit: a rollback leaves
        no gap."""
        ...

    async def add(self, invoice: Invoice) -> None: ...

    async def add_payment(self, invoice: Invoice, payment: Payment) -> None:
        """Store `payment` and the invoice's new paid total and status."""
        ...

    async def search(
        self, where: InvoiceFilter, *, limit: int, after: Position | None = None
    ) -> list[Invoice]:
        """Invoices newest first."""
        ...


class UnitOfWork(RecordsEvents, Protocol):
    """The invoices, and `record(event)` to write an event to the outbox in the caller's
    transaction."""

    @property
    def invoices(self) -> InvoiceRepository: ...

    async def issue(self, invoice: Invoice, event: CloudEvent[Any]) -> None:
        """`invoices.add(invoice)`, then `record(event)`: one round trip where the store
        can."""
        ...
