"""Documents and what they print, in plain Python: no pydantic, no SQLAlchemy, no I/O.

A `PrintableDocument` is everything a renderer needs for one order confirmation or invoice; a
`Document` is the stored, rendered result. A document's identity is derived from the fact it
shows (the order, the kind, the order or invoice number), so the same fact delivered twice maps
to the same document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0")
PDF = "application/pdf"

# Fixed forever: changing it would give every existing document a new id.
DOCUMENT_NAMESPACE = uuid.UUID("5f0c2c1e-2f7b-5a52-9a0e-6b1d0c3e8d41")


class DocumentKind(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    INVOICE = "invoice"


class ReferenceTaken(Exception):
    """The order or invoice number already names a document of another order."""


def money(value: Decimal) -> Decimal:
    """An amount with exactly two decimal places (ROUND_HALF_UP)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def document_id(subject: str, kind: DocumentKind, reference: str) -> uuid.UUID:
    """The id of the document showing `reference` of `kind` for `subject` (the order id)."""
    return uuid.uuid5(DOCUMENT_NAMESPACE, f"{subject}\x1f{kind.value}\x1f{reference}")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename_for(reference: str, extension: str = "pdf") -> str:
    """A download filename from an order or invoice number: `SO-2026-000001.pdf`.

    Anything but ASCII letters, digits, dots, dashes and underscores becomes `_`, so the name
    is safe in a Content-Disposition header and on every file system.
    """
    stem = _UNSAFE.sub("_", reference).strip("._")[:150] or "document"
    return f"{stem}.{extension}"


def storage_key(kind: DocumentKind, document: uuid.UUID, sha256: str) -> str:
    """Where one rendition is stored: content-addressed, so a new rendition never overwrites
    the bytes an existing row points at, and re-storing the same rendition rewrites one file."""
    return f"{kind.value}/{document}/{sha256}.pdf"


def download_path(document: uuid.UUID) -> str:
    return f"/documents/{document}/content"


@dataclass
class Document:
    """A rendered document as stored: its metadata row."""

    id: uuid.UUID
    order_id: str
    kind: DocumentKind
    reference: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    source_event_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def download_path(self) -> str:
        return download_path(self.id)


# --- what a document prints -------------------------------------------------------------------


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    postal_code: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None

    def lines(self) -> list[str]:
        """The address as printed, one entry per line."""
        city = " ".join(part for part in (self.postal_code, self.city) if part)
        if self.region:
            city = f"{city}, {self.region}"
        candidates = [self.name, self.line1, self.line2, city, self.country]
        return [line for line in candidates if line]


@dataclass(frozen=True)
class Customer:
    name: str
    email: str | None = None
    contact: str | None = None
    billing_address: PostalAddress | None = None
    shipping_address: PostalAddress | None = None


@dataclass(frozen=True)
class PrintLine:
    line_no: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class TaxAmount:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PrintTotals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: tuple[TaxAmount, ...] = ()


def tax_breakdown(lines: Iterable[PrintLine]) -> tuple[TaxAmount, ...]:
    """Net base and tax per rate, ascending by rate: for payloads that carry no breakdown."""
    bases: dict[Decimal, Decimal] = {}
    amounts: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = line.tax_rate.normalize()
        bases[rate] = bases.get(rate, ZERO) + line.net_amount
        amounts[rate] = amounts.get(rate, ZERO) + line.tax_amount
    return tuple(
        TaxAmount(rate=rate, base=money(bases[rate]), amount=money(amounts[rate]))
        for rate in sorted(bases)
    )


@dataclass(frozen=True)
class PaymentTerms:
    days: int
    text: str | None = None

    def wording(self) -> str:
        """The terms as printed: the agreed text, else a sentence from the number of days."""
        if self.text:
            return self.text
        if self.days == 0:
            return "Payable immediately upon receipt."
        return f"Payable within {self.days} days."


@dataclass(frozen=True)
class PrintableDocument:
    """Everything one order confirmation or invoice shows."""

    kind: DocumentKind
    number: str
    order_id: str
    currency: str
    customer: Customer
    document_date: date  # the order date, or the invoice's issue date
    payment_terms: PaymentTerms
    lines: tuple[PrintLine, ...]
    totals: PrintTotals
    due_date: date | None = None
    order_number: str | None = None  # printed on invoices
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None

    @property
    def title(self) -> str:
        return "Invoice" if self.kind is DocumentKind.INVOICE else "Order confirmation"

    @property
    def taxes(self) -> tuple[TaxAmount, ...]:
        """The tax breakdown per rate: the payload's own, else computed from the lines."""
        return self.totals.taxes or tax_breakdown(self.lines)
