"""Quotes: an offer with the content of an order and a life of its own.

draft → sent → accepted | rejected | expired. A sent quote is expired once its validity date
has passed: computed when it is read (`status_on(today)`), never stored, so no clock-driven
job is needed and the stored status is never out of date. An accepted quote converts into
draft orders (as many as needed), each remembered on the quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from orders.domain.content import (
    CONTENT_FIELDS,
    DEFAULT_PAYMENT_TERMS,
    Address,
    Line,
    LineInput,
    OpportunityRef,
    PaymentTerms,
    Recurring,
    build_lines,
    check_delivery_dates,
    in_currency_of,
)
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.totals import Totals, totals


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"  # computed: a sent quote past its validity date


QUOTE_EDITABLE_FIELDS = frozenset({*CONTENT_FIELDS, "quote_date", "valid_until"})


@dataclass(frozen=True)
class OrderRef:
    id: str
    number: str


@dataclass(frozen=True)
class QuoteDocument:
    document_id: str
    reference: str
    download_path: str


@dataclass
class Quote:
    id: str
    number: str
    customer_id: str
    currency: str
    quote_date: date
    valid_until: date
    lines: list[Line]
    created_at: datetime
    updated_at: datetime
    status: QuoteStatus = QuoteStatus.DRAFT  # as stored: never EXPIRED
    contact: str | None = None
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    opportunity: OpportunityRef | None = None
    template_id: str | None = None
    recurring: Recurring | None = None
    sent_at: datetime | None = None
    decided_at: datetime | None = None
    rejection_reason: str | None = None
    orders: list[OrderRef] = field(default_factory=list)
    documents: list[QuoteDocument] = field(default_factory=list)
    owner: str | None = None  # the responsible user (token subject); see domain.ownership
    team: str | None = None

    def __post_init__(self) -> None:
        check_validity(self.quote_date, self.valid_until)
        self.lines = in_currency_of(self.lines, self.currency)

    @property
    def totals(self) -> Totals:
        return totals(
            ((line.tax_rate, line.amounts) for line in self.lines), currency=self.currency
        )

    @property
    def effective_payment_terms(self) -> PaymentTerms:
        return self.payment_terms or DEFAULT_PAYMENT_TERMS

    def status_on(self, today: date) -> QuoteStatus:
        """The status as of `today`: a sent quote past its validity date is expired."""
        if self.status is QuoteStatus.SENT and today > self.valid_until:
            return QuoteStatus.EXPIRED
        return self.status

    def _refuse(self, action: str, today: date, reason: str | None = None) -> IllegalTransition:
        return IllegalTransition(action, self.status_on(today), reason, subject="quote")

    def ensure_editable(self, today: date) -> None:
        if self.status_on(today) is not QuoteStatus.DRAFT:
            raise self._refuse(
                "edit", today, f"the quote is {self.status_on(today).value}; only a draft can be"
            )

    def revise(
        self, changes: Mapping[str, object], lines: Sequence[LineInput] | None, today: date
    ) -> None:
        """Change a draft's content; given lines replace every line."""
        self.ensure_editable(today)
        unknown = set(changes) - QUOTE_EDITABLE_FIELDS
        if unknown:
            raise InvalidOrder(sorted(unknown)[0], "cannot be changed")
        quote_date = changes.get("quote_date", self.quote_date)
        valid_until = changes.get("valid_until", self.valid_until)
        assert isinstance(quote_date, date)
        assert isinstance(valid_until, date)
        check_validity(quote_date, valid_until)
        currency = changes.get("currency", self.currency)
        assert isinstance(currency, str)
        new_lines = build_lines(lines, currency=currency) if lines is not None else None
        if new_lines is not None or "quote_date" in changes:
            check_delivery_dates(quote_date, {}, self.lines if new_lines is None else new_lines)
        for name, value in changes.items():
            setattr(self, name, value)
        self.lines = in_currency_of(new_lines if new_lines is not None else self.lines, currency)

    def send(self, today: date, now: datetime) -> None:
        """draft → sent, while it is still valid."""
        if self.status_on(today) is not QuoteStatus.DRAFT:
            raise self._refuse("send", today)
        if self.valid_until < today:
            raise InvalidOrder("valid_until", "has passed: give the quote a new validity date")
        self.status = QuoteStatus.SENT
        self.sent_at = now

    def accept(self, today: date, now: datetime) -> None:
        """sent → accepted (not once expired)."""
        if self.status_on(today) is not QuoteStatus.SENT:
            raise self._refuse("accept", today)
        self.status = QuoteStatus.ACCEPTED
        self.decided_at = now

    def reject(self, today: date, now: datetime, reason: str | None) -> None:
        """sent → rejected (not once expired)."""
        if self.status_on(today) is not QuoteStatus.SENT:
            raise self._refuse("reject", today)
        self.status = QuoteStatus.REJECTED
        self.decided_at = now
        self.rejection_reason = reason

    def ensure_convertible(self, today: date) -> None:
        if self.status_on(today) is not QuoteStatus.ACCEPTED:
            raise self._refuse(
                "convert", today, f"the quote is {self.status_on(today).value}; accept it first"
            )

    def add_order(self, order: OrderRef) -> None:
        if all(o.id != order.id for o in self.orders):
            self.orders.append(order)

    def add_document(self, document: QuoteDocument) -> bool:
        if any(d.document_id == document.document_id for d in self.documents):
            return False
        self.documents.append(document)
        return True

    @property
    def latest_document(self) -> QuoteDocument | None:
        return self.documents[-1] if self.documents else None


def check_validity(quote_date: date, valid_until: date) -> None:
    if valid_until < quote_date:
        raise InvalidOrder("valid_until", "must not be before the quote date")
