"""Customer statements: what one prints and the stored PDF, in plain Python.

A statement is about a customer, not an order: billing prepares it on request and sends all it
shows in `suite.statement.prepared.v1`; this service prints, stores and serves it. Its id is
billing's statement id, so the same statement arriving again finds its row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from documents.domain.model import PDF, filename_for


@dataclass(frozen=True)
class StatementEntryLine:
    """A movement on the account (invoice, payment, reversal, refund...) and the balance after."""

    on: date
    kind: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class StatementAccount:
    currency: str
    opening_balance: Decimal
    closing_balance: Decimal
    entries: tuple[StatementEntryLine, ...] = ()


@dataclass(frozen=True)
class StatementOpenItem:
    invoice_number: str
    currency: str
    issue_date: date
    due_date: date
    gross: Decimal
    open: Decimal
    days_past_due: int


@dataclass(frozen=True)
class PrintableStatement:
    """Everything a statement prints: the customer's account per currency over the period,
    the invoices open at its end and the credit the customer has."""

    statement_id: uuid.UUID
    customer_id: str
    customer_name: str | None
    period_start: date
    period_end: date
    accounts: tuple[StatementAccount, ...] = ()
    open_items: tuple[StatementOpenItem, ...] = ()
    credit: tuple[tuple[str, Decimal], ...] = ()  # (currency, amount)

    @property
    def reference(self) -> str:
        return f"{self.customer_id} {self.period_start.isoformat()}..{self.period_end.isoformat()}"


@dataclass
class StatementDocument:
    """A printed statement as stored. `owner` and `team` are the customer's (from billing's
    view of orders' customers) and decide which salespeople may read it."""

    id: uuid.UUID
    customer_id: str
    customer_name: str | None
    period_start: date
    period_end: date
    filename: str
    size: int
    sha256: str
    storage_key: str
    source_event_id: str
    content_type: str = PDF
    owner: str | None = None
    team: str | None = None
    created_at: datetime | None = field(default=None)
    updated_at: datetime | None = field(default=None)

    @property
    def download_path(self) -> str:
        return f"/statements/{self.id}/content"


def statement_filename(customer_id: str, period_end: date) -> str:
    """e.g. `statement-C-1001-2026-11-30.pdf` (unsafe characters become `_`)."""
    return filename_for(f"statement-{customer_id}-{period_end.isoformat()}")


def statement_storage_key(statement_id: uuid.UUID, sha256: str) -> str:
    return f"statement/{statement_id}/{sha256}.pdf"
