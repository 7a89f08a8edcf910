"""The sales order and its three state dimensions: status, fulfilment and billing.

Pure Python. Every transition either changes the order or raises `IllegalTransition` leaving it
untouched; the methods driven by other services' events return whether anything changed, so a
second delivery of the same business fact (under another event id) is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from orders.domain.totals import ZERO, LineAmounts, Totals, line_amounts, totals

MAX_LINES = 500


class OrderStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"


class Fulfilment(StrEnum):
    UNRESERVED = "unreserved"
    RESERVING = "reserving"
    RESERVED = "reserved"
    BACKORDERED = "backordered"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"


class Billing(StrEnum):
    NOT_INVOICED = "not_invoiced"
    INVOICED = "invoiced"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"


class LineKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


class IllegalTransition(Exception):
    """The action is not allowed in the current state (of an order or a quote); nothing changed."""

    def __init__(
        self, action: str, status: StrEnum, reason: str | None = None, *, subject: str = "order"
    ) -> None:
        self.action = action
        self.status = status
        self.reason = reason or f"the {subject} is {status.value}"
        super().__init__(f"cannot {action} the {subject}: {self.reason}")


class MissingFields(Exception):
    """An action needs fields that are still empty; `fields` names every one of them."""

    def __init__(self, action: str, fields: Sequence[str]) -> None:
        self.action = action
        self.fields = list(fields)
        super().__init__(f"cannot {action}: missing {', '.join(self.fields)}")


class NotAllowed(Exception):
    """The caller's roles do not allow this action (a stage's `allowed_roles`)."""


class InvalidOrder(ValueError):
    """The order's content breaks a rule; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class PaymentTerms:
    days: int = 30
    text: str | None = None


DEFAULT_PAYMENT_TERMS = PaymentTerms()


class RecurrenceFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class Recurring:
    """Bill the order again every period from `start`, until `end` (open-ended without it)."""

    frequency: RecurrenceFrequency
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise InvalidOrder("recurring.end", "must be after the start")


@dataclass(frozen=True)
class OpportunityRef:
    """The CRM opportunity an order or quote belongs to (an id from the CRM, and its name)."""

    id: str
    name: str


@dataclass(frozen=True)
class Opportunity:
    """An opportunity as this service knows it: from the orders and quotes that named it."""

    id: str
    name: str
    customer_id: str | None = None


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str | None
    actor: str | None
    decided_at: datetime


@dataclass
class Line:
    line_no: int
    sku: str
    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal = ZERO
    shipped_quantity: Decimal = ZERO

    @property
    def amounts(self) -> LineAmounts:
        return line_amounts(self.quantity, self.unit_price, self.discount_percent, self.tax_rate)


@dataclass(frozen=True)
class LineInput:
    """A line as a person or another system gives it (amounts are always computed here)."""

    sku: str
    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal = ZERO


@dataclass(frozen=True)
class Document:
    document_id: str
    kind: str
    reference: str
    download_path: str


# The billing states a payment can move to, and how far along each is: never go back.
_BILLING_RANK = {
    Billing.NOT_INVOICED: 0,
    Billing.INVOICED: 1,
    Billing.PARTIALLY_PAID: 2,
    Billing.PAID: 3,
    Billing.CREDITED: 4,
}

# What an order and a quote have in common (besides their lines): a quote's content becomes an
# order's on conversion, field by field.
CONTENT_FIELDS = (
    "customer_id",
    "currency",
    "contact",
    "customer_reference",
    "description",
    "opening_text",
    "closing_text",
    "payment_terms",
    "billing_address",
    "shipping_address",
    "opportunity",
    "template_id",
    "recurring",
)

EDITABLE_FIELDS = frozenset({*CONTENT_FIELDS, "order_date", "contract_number"})

# The fields a stage may require before an order enters it. They stay editable while the order
# is open (PATCH /orders/{id}/details), so a stage's requirements can be met after confirmation.
STAGE_FIELDS = (
    "contract_number",
    "payment_terms",
    "customer_reference",
    "shipping_address",
    "billing_address",
    "contact",
)

# A copy keeps everything but these, which the user fills in for the new order.
BLANKED_ON_COPY = frozenset({"customer_id", "contact", "opportunity"})


def build_lines(inputs: Sequence[LineInput], field_prefix: str = "lines") -> list[Line]:
    """Number the lines from 1 and check each one's content and computed amounts."""
    if not 1 <= len(inputs) <= MAX_LINES:
        raise InvalidOrder(field_prefix, f"an order has 1 to {MAX_LINES} lines")
    lines = []
    for index, given in enumerate(inputs):
        where = f"{field_prefix}.{index}"
        if given.quantity <= 0:
            raise InvalidOrder(f"{where}.quantity", "must be greater than 0")
        if given.unit_price < 0:
            raise InvalidOrder(f"{where}.unit_price", "must not be negative")
        if not 0 <= given.discount_percent <= 100:
            raise InvalidOrder(f"{where}.discount_percent", "must be between 0 and 100")
        if not 0 <= given.tax_rate <= 100:
            raise InvalidOrder(f"{where}.tax_rate", "must be between 0 and 100")
        line = Line(
            line_no=index + 1,
            sku=given.sku,
            kind=given.kind,
            description=given.description,
            quantity=given.quantity,
            unit_price=given.unit_price,
            discount_percent=given.discount_percent,
            tax_rate=given.tax_rate,
        )
        try:
            line.amounts  # noqa: B018 - computing is the check
        except ValueError as exc:
            raise InvalidOrder(where, str(exc)) from None
        lines.append(line)
    try:
        totals((line.tax_rate, line.amounts) for line in lines)
    except ValueError as exc:
        raise InvalidOrder(field_prefix, str(exc)) from None
    return lines


@dataclass
class Order:
    id: str
    number: str
    customer_id: str | None  # None only for a draft copy whose customer is yet to be chosen
    currency: str
    order_date: date
    lines: list[Line]
    created_at: datetime
    updated_at: datetime
    status: OrderStatus = OrderStatus.DRAFT
    fulfilment: Fulfilment = Fulfilment.UNRESERVED
    billing: Billing = Billing.NOT_INVOICED
    contact: str | None = None
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    payment_terms: PaymentTerms | None = None  # None: not agreed (the default terms apply)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    external_reference: str | None = None
    documents: list[Document] = field(default_factory=list)
    shipment_ids: set[str] = field(default_factory=set)
    contract_number: str | None = None
    opportunity: OpportunityRef | None = None
    template_id: str | None = None
    recurring: Recurring | None = None
    quote_id: str | None = None
    stage: str | None = None
    approval: Approval | None = None
    cancellation_reason: str | None = None
    archived_at: datetime | None = None

    # --- derived ------------------------------------------------------------------------------

    @property
    def totals(self) -> Totals:
        return totals((line.tax_rate, line.amounts) for line in self.lines)

    @property
    def product_lines(self) -> list[Line]:
        return [line for line in self.lines if line.kind is LineKind.PRODUCT]

    @property
    def has_products(self) -> bool:
        return bool(self.product_lines)

    @property
    def effective_payment_terms(self) -> PaymentTerms:
        return self.payment_terms or DEFAULT_PAYMENT_TERMS

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def missing(self, required: Iterable[str]) -> list[str]:
        """Those of the `required` stage fields that are still empty, in STAGE_FIELDS order."""
        wanted = set(required)
        return [
            name for name in STAGE_FIELDS if name in wanted and getattr(self, name) in (None, "")
        ]

    def latest_document(self, kind: str) -> Document | None:
        """The most recently generated document of a kind (order_confirmation, invoice)."""
        of_kind = [d for d in self.documents if d.kind == kind]
        return of_kind[-1] if of_kind else None

    # --- changes people ask for ---------------------------------------------------------------

    def ensure_editable(self) -> None:
        """Only a draft can be edited."""
        if self.status is not OrderStatus.DRAFT:
            raise IllegalTransition(
                "edit", self.status, f"the order is {self.status.value}; only a draft can be edited"
            )

    def ensure_open(self, action: str) -> None:
        if self.status is not OrderStatus.OPEN:
            raise IllegalTransition(
                action, self.status, f"the order is {self.status.value}; only an open order can"
            )

    def revise_details(self, changes: Mapping[str, object]) -> None:
        """Fill in the fields a stage may require: while the order is a draft or open."""
        if self.status not in (OrderStatus.DRAFT, OrderStatus.OPEN):
            raise IllegalTransition(
                "edit",
                self.status,
                f"the order is {self.status.value}; only a draft or open order can be completed",
            )
        unknown = set(changes) - set(STAGE_FIELDS)
        if unknown:
            raise InvalidOrder(sorted(unknown)[0], "cannot be changed once the order is open")
        for name, value in changes.items():
            setattr(self, name, value)

    def revise(self, changes: Mapping[str, object], lines: Sequence[LineInput] | None) -> None:
        """Change the header fields given and, if given, replace every line (draft only)."""
        self.ensure_editable()
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise InvalidOrder(sorted(unknown)[0], "cannot be changed")
        new_lines = build_lines(lines) if lines is not None else None
        for name, value in changes.items():
            setattr(self, name, value)
        if new_lines is not None:
            self.lines = new_lines

    def confirm(self) -> None:
        """draft → open; stocked lines are now to be reserved.

        A backordered order is not confirmed again: inventory reserves it by itself once stock
        arrives (and reports stock.reserved).
        """
        if self.status is not OrderStatus.DRAFT:
            raise IllegalTransition("confirm", self.status)
        if self.customer_id is None:
            raise MissingFields("confirm the order", ["customer_id"])
        self.status = OrderStatus.OPEN
        self.fulfilment = Fulfilment.RESERVING if self.has_products else Fulfilment.UNRESERVED

    def cancel(self, reason: str | None = None) -> OrderStatus:
        """draft/open → cancelled; returns the status it had."""
        if self.status not in (OrderStatus.DRAFT, OrderStatus.OPEN):
            raise IllegalTransition("cancel", self.status)
        previous = self.status
        self.status = OrderStatus.CANCELLED
        self.cancellation_reason = reason
        if self.fulfilment is Fulfilment.BACKORDERED:
            self.fulfilment = Fulfilment.UNRESERVED  # nothing was held: nothing to release
        return previous

    def complete(self) -> None:
        """open → concluded, once every stocked line is shipped (at once for services only)."""
        if self.status is not OrderStatus.OPEN:
            raise IllegalTransition("complete", self.status)
        if self.has_products and self.fulfilment is not Fulfilment.SHIPPED:
            raise IllegalTransition(
                "complete",
                self.status,
                f"the order is open and not fully shipped (fulfilment: {self.fulfilment.value})",
            )
        self.status = OrderStatus.CONCLUDED

    def archive(self, now: datetime) -> None:
        """Hide a concluded or cancelled order from the default lists."""
        if self.status not in (OrderStatus.CONCLUDED, OrderStatus.CANCELLED):
            raise IllegalTransition(
                "archive",
                self.status,
                f"the order is {self.status.value}; only concluded or cancelled orders can be",
            )
        if self.archived:
            raise IllegalTransition("archive", self.status, "the order is already archived")
        self.archived_at = now

    def unarchive(self) -> None:
        if not self.archived:
            raise IllegalTransition("unarchive", self.status, "the order is not archived")
        self.archived_at = None

    # --- facts reported by inventory ----------------------------------------------------------

    def _tracks_stock(self) -> bool:
        return self.status is not OrderStatus.DRAFT and self.has_products

    def stock_reserved(self) -> bool:
        if not self._tracks_stock():
            return False
        if self.fulfilment not in (
            Fulfilment.UNRESERVED,
            Fulfilment.RESERVING,
            Fulfilment.BACKORDERED,
        ):
            return False  # already reserved, or shipping: a repeated fact changes nothing
        self.fulfilment = Fulfilment.RESERVED
        return True

    def reservation_failed(self) -> bool:
        if not self._tracks_stock():
            return False
        if self.fulfilment not in (Fulfilment.UNRESERVED, Fulfilment.RESERVING):
            return False
        if self.status is OrderStatus.CANCELLED:
            # Cancelled while inventory tried: nothing is held, and nothing will be released.
            changed = self.fulfilment is not Fulfilment.UNRESERVED
            self.fulfilment = Fulfilment.UNRESERVED
            return changed
        self.fulfilment = Fulfilment.BACKORDERED
        return True

    def stock_released(self) -> bool:
        if not self._tracks_stock():
            return False
        if self.fulfilment not in (
            Fulfilment.RESERVING,
            Fulfilment.RESERVED,
            Fulfilment.BACKORDERED,
        ):
            return False  # nothing held, or goods already left: shipped stays shipped
        self.fulfilment = Fulfilment.UNRESERVED
        return True

    def shipment_dispatched(
        self, shipment_id: str, shipped: Iterable[tuple[str, Decimal]], fully_shipped: bool
    ) -> bool:
        """Add a shipment's quantities to the lines of its SKUs (each shipment counts once)."""
        if shipment_id in self.shipment_ids or not self.has_products:
            return False
        self.shipment_ids.add(shipment_id)
        for sku, quantity in shipped:
            self._add_shipped(sku, quantity)
        self.fulfilment = Fulfilment.SHIPPED if fully_shipped else Fulfilment.PARTIALLY_SHIPPED
        return True

    def _add_shipped(self, sku: str, quantity: Decimal) -> None:
        candidates = [line for line in self.product_lines if line.sku == sku]
        if not candidates:
            return
        remaining = quantity
        for line in candidates:
            room = max(line.quantity - line.shipped_quantity, ZERO)
            taken = min(room, remaining)
            line.shipped_quantity += taken
            remaining -= taken
            if remaining <= 0:
                return
        candidates[-1].shipped_quantity += remaining  # shipped more than ordered: keep the truth

    # --- facts reported by billing and documents ----------------------------------------------

    def invoice_issued(self) -> bool:
        if self.billing is not Billing.NOT_INVOICED:
            return False
        self.billing = Billing.INVOICED
        return True

    def payment_received(self, invoice_status: str) -> bool:
        """Follow the invoice's status after a payment (issued/partially_paid/paid/credited)."""
        try:
            target = Billing.INVOICED if invoice_status == "issued" else Billing(invoice_status)
        except ValueError:
            return False
        if _BILLING_RANK[target] <= _BILLING_RANK[self.billing]:
            return False  # an older or repeated fact: billing never goes back
        self.billing = target
        return True

    def add_document(self, document: Document) -> bool:
        if any(d.document_id == document.document_id for d in self.documents):
            return False
        self.documents.append(document)
        return True


def content_of(source: object, *, blank: frozenset[str] = frozenset()) -> dict[str, object]:
    """The CONTENT_FIELDS of an order or a quote, with those in `blank` left empty."""
    return {name: None if name in blank else getattr(source, name) for name in CONTENT_FIELDS}


def line_inputs_of(lines: Iterable[Line]) -> list[LineInput]:
    """Lines as given again (for a copy or a conversion): same items, prices and discounts."""
    return [
        LineInput(
            sku=line.sku,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]


@dataclass
class Customer:
    id: str
    name: str
    email: str
    created_at: datetime
    billing_address: Address | None = None  # the default billing address (see AddressBook)
    shipping_address: Address | None = None  # the default shipping address
