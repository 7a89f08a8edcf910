"""Draft invoices: pure Python.

A draft is what accounting prepares to invoice from an order: chosen quantities of its lines,
priced as they would be invoiced. It has no number and owes nothing. While it is a draft it can
be changed or discarded; issuing it makes the invoice (numbered then, gapless) of the same id.
An issued or discarded draft never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from billing.domain.model import BillingError, Customer, InvoiceLine, Totals


class DraftStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    DISCARDED = "discarded"


class DraftNotEditable(BillingError):
    """The draft was issued or discarded: it cannot be changed, issued or discarded again."""


@dataclass
class InvoiceDraft:
    id: str
    order_id: str
    order_number: str
    customer: Customer
    currency: str
    lines: list[InvoiceLine]
    status: DraftStatus = DraftStatus.DRAFT
    reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines, currency=self.currency)

    @property
    def invoice_id(self) -> str | None:
        """The invoice it became (the same id), once issued."""
        return self.id if self.status is DraftStatus.ISSUED else None

    def _check_open(self, doing: str) -> None:
        if self.status is not DraftStatus.DRAFT:
            raise DraftNotEditable(f"draft {self.id} is {self.status.value}: cannot {doing} it")

    def change(self, lines: list[InvoiceLine]) -> None:
        self._check_open("change")
        self.lines = lines

    def issued(self) -> None:
        self._check_open("issue")
        self.status = DraftStatus.ISSUED

    def discard(self, reason: str | None) -> None:
        self._check_open("discard")
        self.status = DraftStatus.DISCARDED
        self.reason = reason
