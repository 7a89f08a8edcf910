"""Documents and what they print, in plain Python: no pydantic, no SQLAlchemy, no I/O.

A `PrintableDocument` is everything a renderer needs for one order confirmation, invoice or
quotation (with the template look it is printed in); a `Document` is the stored, rendered
result. A document's identity is derived from the fact it shows (the order or quote, the kind,
the order, invoice or quote number), so the same fact delivered twice maps to the same document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from documents.domain.labels import Labels, labels_for
from documents.domain.supply import SupplyDetails, supply_labels
from documents.domain.templates import Look
from pricing import LineAmounts, TaxLine, Totals, in_currency, round_money
from pricing import tax_breakdown as breakdown_by_rate
from pricing.sales import Address, PricedLine
from pricing.sales import PaymentTerms as SalesPaymentTerms

PDF = "application/pdf"

# Fixed forever: changing it would give every existing document a new id.
DOCUMENT_NAMESPACE = uuid.UUID("5f0c2c1e-2f7b-5a52-9a0e-6b1d0c3e8d41")


class DocumentKind(StrEnum):
    """What a document is. `quote` is this service's own: the public contract's DocumentKind
    (of `document.generated`) knows the others but e-invoices; quotes and e-invoices (the
    invoice's PDF with its CII XML embedded: Factur-X) have events of their own."""

    ORDER_CONFIRMATION = "order_confirmation"
    INVOICE = "invoice"
    QUOTE = "quote"
    EINVOICE = "einvoice"
    CREDIT_NOTE = "credit_note"
    PURCHASE_ORDER = "purchase_order"  # of a purchase order, for its vendor (`domain/supply.py`)
    DELIVERY_NOTE = "delivery_note"  # of one shipment of an order (`domain/supply.py`)

    @property
    def about_quote(self) -> bool:
        return self is DocumentKind.QUOTE

    @property
    def about_purchase_order(self) -> bool:
        return self is DocumentKind.PURCHASE_ORDER

    @property
    def about_order(self) -> bool:
        return not (self.about_quote or self.about_purchase_order)

    def title_in(self, labels: Labels) -> str:
        supply = supply_labels(labels.language)
        return {
            DocumentKind.ORDER_CONFIRMATION: labels.order_confirmation,
            DocumentKind.INVOICE: labels.invoice,
            DocumentKind.CREDIT_NOTE: labels.credit_note,
            DocumentKind.QUOTE: labels.quotation,
            DocumentKind.EINVOICE: labels.invoice,
            DocumentKind.PURCHASE_ORDER: supply.purchase_order,
            DocumentKind.DELIVERY_NOTE: supply.delivery_note,
        }[self]


class ReferenceTaken(Exception):
    """The order, invoice or quote number already names a document of another order or quote."""


def money(value: Decimal, currency: str | None = None) -> Decimal:
    """An amount as printed: rounded half up to the currency's minor unit, with exactly that
    many decimals (EUR 2, JPY 0, BHD 3; 2 without a currency): the suite's rule."""
    return round_money(value, currency)


def price(value: Decimal, currency: str | None = None) -> Decimal:
    """A unit price as printed: at least the currency's decimals, finer digits kept (0.125)."""
    return in_currency(value, currency)


def document_id(subject: str, kind: DocumentKind, reference: str) -> uuid.UUID:
    """The id of the document showing `reference` of `kind` for `subject` (order or quote id)."""
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
    """A rendered document as stored: its metadata row.

    A quotation belongs to a quote (`quote_id`), a purchase order's PDF to the purchase order
    (`purchase_order_id`), every other document to an order (`order_id`).
    """

    id: uuid.UUID
    order_id: str | None
    kind: DocumentKind
    reference: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    source_event_id: str
    quote_id: str | None = None
    template_id: str | None = None  # the template the order or quote asked for, if any
    language: str | None = None  # of the labels printed (None: the built-in English)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    purchase_order_id: str | None = None  # set for purchase orders only

    @property
    def download_path(self) -> str:
        return download_path(self.id)

    @property
    def subject_id(self) -> str:
        """The order, quote or purchase order the document is about (the subject and key of
        its events)."""
        if self.kind.about_purchase_order:
            subject = self.purchase_order_id
        else:
            subject = self.quote_id if self.kind.about_quote else self.order_id
        assert subject is not None, f"document {self.id} has no order, quote or purchase order"
        return subject

    @property
    def title(self) -> str:
        """e.g. `Order confirmation SO-2026-000001`, in the language it was printed in."""
        return f"{self.kind.title_in(labels_for(self.language))} {self.reference}"


# --- what a document prints -------------------------------------------------------------------


PostalAddress = Address  # the suite's one postal address (`pricing.sales`), printable as lines


@dataclass(frozen=True)
class Customer:
    name: str
    email: str | None = None
    contact: str | None = None
    billing_address: PostalAddress | None = None
    shipping_address: PostalAddress | None = None


PrintLine = PricedLine  # a line as printed: inputs and amounts, as the payload stated them


TaxAmount = TaxLine  # one rate of the tax breakdown: rate, base, amount (the `pricing` one)


PrintTotals = Totals  # net, tax, gross and the breakdown per rate (the `pricing` one)


def tax_breakdown(lines: Iterable[PrintLine], currency: str | None = None) -> tuple[TaxAmount, ...]:
    """Net base and tax per rate, ascending by rate: for payloads that carry no breakdown.

    The sums of the printed line amounts, as `pricing` breaks down an order or an invoice.
    """
    by_rate = breakdown_by_rate(
        ((line.tax_rate, _printed_amounts(line)) for line in lines), currency=currency
    )
    return tuple(
        TaxAmount(rate=tax.rate.normalize(), base=tax.base, amount=tax.amount) for tax in by_rate
    )


def _printed_amounts(line: PrintLine) -> LineAmounts:
    return LineAmounts(line.net_amount, line.tax_amount, line.net_amount + line.tax_amount)


class PaymentTerms(SalesPaymentTerms):
    """The suite's payment terms (`pricing.sales`), with their printed wording."""

    def wording(self, labels: Labels | None = None) -> str:
        """The terms as printed: the agreed text, else a sentence from the number of days."""
        return (labels or labels_for(None)).terms(self.days, self.text)


@dataclass(frozen=True)
class Credited:
    """What a credit note corrects: the invoice, why, and how its amount was settled."""

    invoice_number: str
    reason: str
    deducted: Decimal  # off what the invoice still owed
    kept_as_credit: Decimal  # the customer's credit


@dataclass(frozen=True)
class PrintableDocument:
    """Everything one order confirmation, invoice or quotation shows, and how it looks."""

    kind: DocumentKind
    number: str
    subject_id: str  # the order id (the quote id of a quotation, the purchase order's id)
    currency: str
    customer: Customer
    document_date: date  # the order or quote date, or the invoice's issue date
    payment_terms: PaymentTerms
    lines: tuple[PrintLine, ...]
    totals: PrintTotals
    due_date: date | None = None
    valid_until: date | None = None  # quotations
    order_number: str | None = None  # printed on invoices
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    template_id: str | None = None  # the template asked for (recorded with the document)
    look: Look | None = None  # the template's look; None: the built-in look
    credited: Credited | None = None  # credit notes
    supply: SupplyDetails | None = None  # purchase orders and delivery notes
    # Order confirmations: the order's delivery dates, and the lines promised on a day of their
    # own (line number, date), printed under the line.
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None
    line_promises: tuple[tuple[int, date], ...] = ()

    @property
    def labels(self) -> Labels:
        return labels_for(self.look.language if self.look else None)

    @property
    def language(self) -> str | None:
        return self.look.language if self.look else None

    @property
    def title(self) -> str:
        return self.kind.title_in(self.labels)

    @property
    def opening(self) -> str | None:
        """The order's own opening text, else the template's default one."""
        return self.opening_text or (self.look.default_opening_text if self.look else None)

    @property
    def closing(self) -> str | None:
        """The order's own closing text, else the template's default one."""
        return self.closing_text or (self.look.default_closing_text if self.look else None)

    @property
    def taxes(self) -> tuple[TaxAmount, ...]:
        """The tax breakdown per rate: the payload's own, else computed from the lines."""
        return self.totals.taxes or tax_breakdown(self.lines, self.currency)
