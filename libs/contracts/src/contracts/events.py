"""Payloads of the suite's events, one model per CloudEvents `type`.

Changes within a version are additive only (new optional fields); anything else is a new `.vN`
type. `tests/test_schema_compatibility.py` enforces this against the committed JSON Schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.common import (
    Address,
    CurrencyCode,
    CustomerRef,
    ItemKind,
    LongText,
    Money,
    OrderSnapshot,
    Payload,
    PaymentTerms,
    Percent,
    Quantity,
    ShortText,
    Sku,
    StockLine,
    Totals,
)

# --- orders.inbound: other systems submit orders --------------------------------------------


class SubmittedCustomer(Payload):
    """The customer of a submitted order: matched by e-mail, created when unknown."""

    name: ShortText = Field(min_length=1)
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    billing_address: Address | None = None
    shipping_address: Address | None = None


class SubmittedLine(Payload):
    sku: Sku
    kind: ItemKind = ItemKind.PRODUCT
    description: LongText = ""
    quantity: Quantity
    unit_price: Money = Field(ge=0)
    discount_percent: Percent = Decimal("0")
    tax_rate: Percent = Decimal("0")
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None


class OrderSubmitted(Payload):
    """An order placed in another system (a shop, an ERP). Deduplicated by `external_reference`."""

    external_reference: ShortText = Field(min_length=1)
    customer: SubmittedCustomer
    currency: CurrencyCode
    order_date: date | None = None
    customer_reference: ShortText | None = None
    description: LongText | None = None
    payment_terms: PaymentTerms | None = None
    lines: list[SubmittedLine] = Field(min_length=1, max_length=500)
    confirm: bool = Field(default=False, description="Confirm the order at once")
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants the goods"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="When delivery is promised (not before the order date)"
    )


# --- orders.events ----------------------------------------------------------------------------


class OrderCreated(Payload):
    order: OrderSnapshot
    external_reference: ShortText | None = None


class OrderConfirmed(Payload):
    """The order is open: inventory reserves its stocked lines, documents renders a confirmation."""

    order: OrderSnapshot


class OrderCancelled(Payload):
    order_id: str
    number: str
    reason: LongText | None = None
    previous_status: ShortText


class OrderCompleted(Payload):
    """Every stocked line is shipped: billing issues the invoice."""

    order: OrderSnapshot


class OrderClosedShort(Payload):
    """An open, partially shipped order ends early: the unshipped remainder is cancelled.
    Inventory releases what it still holds for the order and answers with stock.released
    (even when nothing was left to release); the order then completes with what shipped."""

    order_id: str
    number: str
    reason: LongText | None = None
    remainder: list[StockLine] = Field(
        default_factory=list, description="The quantities per SKU that will not be shipped"
    )


class OrderMilestone(Payload):
    """A fact about an order its people and other systems want to hear of: it became
    backordered, fully shipped, overdue or paid (the type says which), caused by inventory's or
    billing's event (`causationid`). `owner` (a user) is e-mailed about it by documents, unless
    they opted out there."""

    order_id: str
    number: str
    customer_id: str | None = None
    fulfilment: ShortText
    billing: ShortText
    owner: ShortText | None = None


class OrderStageChanged(Payload):
    """An open order moved along the administrator-defined pipeline (or was refused there)."""

    order_id: str
    number: str
    from_stage: ShortText | None = None
    to_stage: ShortText
    reason: LongText | None = None


class FieldChange(Payload):
    """One field an order revision changed: `field` names it (`order_date`, `lines.3.quantity`,
    `lines.4` for a line added or removed), `before` and `after` are its values as text (null:
    absent)."""

    field: ShortText
    before: LongText | None = None
    after: LongText | None = None


class OrderRevised(Payload):
    """A confirmed (open) order was changed: `order` is its content now, `revision` counts the
    changes (1 for the first one after confirmation). Inventory reserves or releases the
    difference to what it holds; documents renders the confirmation again as this revision."""

    order: OrderSnapshot
    revision: int = Field(ge=1)
    changes: list[FieldChange] = Field(default_factory=list)
    actor: ShortText | None = None


class QuoteSent(Payload):
    """A quote was sent to the customer: documents renders it. `content` is its order-shaped
    content (its `order_id` and `number` are the quote's id and number)."""

    quote_id: str
    number: str
    valid_until: date
    content: OrderSnapshot


class QuoteAccepted(Payload):
    """The customer accepted a sent quote (before its validity date passed)."""

    quote_id: str
    number: str


class QuoteRejected(Payload):
    """The customer rejected a sent quote, with the reason given if any."""

    quote_id: str
    number: str
    reason: LongText | None = None


class QuoteConverted(Payload):
    """An accepted quote became a (draft) order: one event per order made from it."""

    quote_id: str
    number: str
    order_id: str
    order_number: str


# --- inventory.events -------------------------------------------------------------------------


class Shortage(Payload):
    sku: Sku
    requested: Quantity
    available: Decimal


class StockReserved(Payload):
    """Every stocked line of the order is reserved. No lines: nothing of the order is stocked
    (its products are all services), so its reservation step is complete at once."""

    order_id: str
    lines: list[StockLine]


class StockReservationFailed(Payload):
    """Nothing was reserved: the order is backordered until it is confirmed again."""

    order_id: str
    shortages: list[Shortage] = Field(min_length=1)


class StockReleased(Payload):
    order_id: str
    lines: list[StockLine]


class StockReservationChanged(Payload):
    """What an order holds changed after a revision (`revision`) or because stock it waited
    for arrived (no `revision`): `reserved` and `released` are this change's quantities,
    `waiting` everything of the order still waiting for stock (backordered), and
    `fully_reserved` whether nothing is waiting any more."""

    order_id: str
    revision: int | None = None
    reserved: list[StockLine] = Field(default_factory=list)
    released: list[StockLine] = Field(default_factory=list)
    waiting: list[StockLine] = Field(default_factory=list)
    fully_reserved: bool


class ShipmentDispatched(Payload):
    order_id: str
    shipment_id: str
    lines: list[StockLine] = Field(min_length=1)
    fully_shipped: bool = Field(description="Every reserved quantity of the order is now shipped")
    carrier: ShortText | None = None
    tracking_number: ShortText | None = None
    shipping_date: date | None = None
    warehouse: Annotated[str | None, Field(max_length=32)] = Field(
        default=None, description="The warehouse it left from"
    )


class ShipmentDelivered(Payload):
    """The carrier delivered a shipment to the customer."""

    order_id: str
    shipment_id: str
    delivered_at: datetime
    carrier: ShortText | None = None
    tracking_number: ShortText | None = None


class AdjustmentKind(StrEnum):
    RECEIPT = "receipt"
    DAMAGE = "damage"
    LOSS = "loss"
    COUNT_CORRECTION = "count_correction"


class StockAdjusted(Payload):
    adjustment_id: str
    sku: Sku
    kind: AdjustmentKind
    quantity_change: Decimal
    on_hand: Decimal
    reason: LongText


class PurchaseOrderLine(Payload):
    sku: Sku
    quantity: Quantity
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
    expected_date: date | None = None
    description: ShortText | None = Field(default=None, description="The product's name")
    vendor_sku: ShortText | None = Field(default=None, description="The vendor's own code")


class PurchaseOrderSent(Payload):
    """A purchase order went to its vendor: all a document or an integration needs of it."""

    purchase_order_id: str
    number: ShortText
    vendor_id: str
    vendor_name: ShortText
    vendor_email: ShortText | None = None
    currency: CurrencyCode
    warehouse: ShortText
    expected_date: date | None = None
    lines: list[PurchaseOrderLine] = Field(min_length=1)
    total: Money
    vendor_contact: ShortText | None = None
    vendor_address: Address | None = None
    payment_terms_days: int | None = Field(default=None, ge=0)
    notes: LongText | None = None


class PurchaseOrderCancelled(Payload):
    purchase_order_id: str
    number: ShortText


class GoodsReceived(Payload):
    """Goods arrived against a purchase order; `reserved_orders` are the backorders they served."""

    receipt_id: str
    purchase_order_id: str
    number: ShortText
    warehouse: ShortText
    lines: list[StockLine] = Field(min_length=1)
    fully_received: bool
    reserved_orders: list[str] = Field(default_factory=list)


class ReturnAuthorised(Payload):
    """The customer may send these shipped goods back."""

    return_id: str
    number: ShortText
    order_id: str
    reason: LongText
    lines: list[StockLine] = Field(min_length=1)


class ReturnDisposition(StrEnum):
    RESTOCK = "restock"
    SCRAP = "scrap"


class ReturnedLine(Payload):
    sku: Sku
    quantity: Quantity
    disposition: ReturnDisposition


class ReturnReceived(Payload):
    """The goods came back: billing credits every returned line, restocked or scrapped."""

    return_id: str
    number: ShortText
    order_id: str
    reason: LongText
    lines: list[ReturnedLine] = Field(min_length=1)
    note: LongText | None = None
    reserved_orders: list[str] = Field(default_factory=list)


class ListPrice(Payload):
    currency: CurrencyCode
    amount: Money = Field(ge=0)


class ProductChanged(Payload):
    """A catalogue entry as it now is (created or replaced): the whole entry, so a consumer's
    view needs nothing else. Subject and key: the SKU."""

    sku: Sku
    name: ShortText
    kind: ItemKind
    description: LongText | None = None
    list_prices: list[ListPrice] = Field(default_factory=list)
    unit_of_measure: Annotated[str, Field(max_length=32)] = "unit"
    tax_category: Annotated[str, Field(max_length=32)] = "standard"
    active: bool = True
    barcode: Annotated[str | None, Field(pattern=r"^[0-9]{8,14}$")] = None


class StockLow(Payload):
    """A warehouse's available stock of a SKU dropped below the product's reorder point (once
    per drop: it is announced again only after available got back to the point or above).
    Subject and key: the SKU."""

    sku: Sku
    warehouse: Annotated[str, Field(max_length=32)]
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal | None = None


class TransferMoved(Payload):
    """Stock sent between two warehouses (dispatched: it left the source and is in transit;
    received: it is on hand at the destination). Subject and key: the transfer id."""

    transfer_id: str
    from_warehouse: Annotated[str, Field(max_length=32)]
    to_warehouse: Annotated[str, Field(max_length=32)]
    lines: list[StockLine] = Field(min_length=1)


class WarehouseChanged(Payload):
    """A warehouse as it now is (created, renamed, reprioritised, made the default or no longer
    the default, deactivated, reactivated): the whole entry, so a consumer's view needs nothing
    else. Subject and key: the warehouse code."""

    code: Annotated[str, Field(max_length=32)]
    name: ShortText
    priority: int = 100
    is_default: bool = False
    active: bool = True


class StockLevelChanged(Payload):
    """What a warehouse now holds of a SKU, after any movement (receipt, reservation, release,
    shipment...). Subject and key: the SKU; its `sequence` orders the levels of one SKU."""

    sku: Sku
    warehouse: Annotated[str, Field(max_length=32)]
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


# --- billing.events ---------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"


class InvoiceKind(StrEnum):
    STANDARD = "standard"
    DOWN_PAYMENT = "down_payment"


class InvoiceLine(Payload):
    line_no: int
    sku: Sku
    description: LongText
    quantity: Quantity
    unit_price: Money
    discount_percent: Percent
    tax_rate: Percent
    net_amount: Money
    tax_amount: Money
    gross_amount: Money


class InvoiceIssued(Payload):
    invoice_id: str
    number: str
    order_id: str
    order_number: str
    customer: CustomerRef
    billing_address: Address | None = None
    shipping_address: Address | None = None
    issue_date: date
    due_date: date
    currency: CurrencyCode
    payment_terms: PaymentTerms
    customer_reference: ShortText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    lines: list[InvoiceLine]
    totals: Totals
    # optional (absent from older producers): `paid` when there is nothing to pay, else `issued`
    status: InvoiceStatus | None = None
    # optional: the order's gross total, and the gross of all its invoices with this one (an
    # order may be invoiced in parts: on delivery, down payments, by hand)
    order_total: Money | None = None
    invoiced_total: Money | None = None
    # optional: the period a recurring invoice bills (its first day); None for other invoices
    period_start: date | None = None
    # optional: `down_payment` for a down-payment invoice (deducted from the order's later
    # invoices); None or `standard` for the others
    kind: InvoiceKind | None = None
    # optional: what this invoice deducted of the order's down payments (gross, positive)
    down_payment_deducted: Money | None = None


class InvoiceDrafted(Payload):
    """A draft invoice of an order was created or changed (`invoice.draft_updated`): not an
    invoice yet (no number, nothing owed); its amounts are what issuing it now would invoice."""

    draft_id: str
    order_id: str
    order_number: str
    customer: CustomerRef
    currency: CurrencyCode
    lines: list[InvoiceLine]
    totals: Totals


class InvoiceDraftDiscarded(Payload):
    """A draft invoice was discarded: it was never issued and never will be."""

    draft_id: str
    order_id: str
    order_number: str
    reason: LongText | None = None


class DownPaymentDeducted(Payload):
    """An invoice deducted (part of) the order's down payments as negative lines."""

    invoice_id: str
    invoice_number: str
    order_id: str
    currency: CurrencyCode
    amount: Money = Field(description="The gross deducted on this invoice (positive)")
    remaining: Money = Field(description="What of the order's down payments is still to deduct")
    down_payment_numbers: list[ShortText] = Field(
        default_factory=list, description="The down-payment invoices the order has"
    )


class RecurringScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class RecurringScheduleChanged(Payload):
    """An order's recurring invoicing was paused, resumed or ended (its schedule's new state)."""

    order_id: str
    order_number: str | None = None
    status: RecurringScheduleStatus
    frequency: ShortText | None = None
    ends_on: date | None = Field(
        default=None, description="The schedule's end (exclusive): no period starts on or after"
    )


class PaymentReceived(Payload):
    payment_id: str
    invoice_id: str
    invoice_number: str
    order_id: str
    amount: Money
    currency: CurrencyCode
    paid_total: Money
    balance: Money
    status: InvoiceStatus
    received_at: datetime
    allocation_id: str | None = Field(
        default=None,
        description="The allocation settling the invoice, when the payment settled several "
        "invoices or was customer credit (otherwise the payment's own id)",
    )
    customer_id: str | None = None
    method: ShortText | None = None
    reference: ShortText | None = None


class PaymentReversed(Payload):
    """A payment was reversed (bounced, returned): what it settled on one invoice is open again.
    One event per invoice the payment was allocated to."""

    payment_id: str
    allocation_id: str
    invoice_id: str
    invoice_number: str
    order_id: str
    customer_id: str
    amount: Money = Field(description="What the invoice owes again")
    currency: CurrencyCode
    paid_total: Money
    balance: Money
    status: InvoiceStatus
    reason: LongText
    reversed_at: datetime


class CreditNoteLine(InvoiceLine):
    """A line of a credit note: part of an invoice line (`invoice_line_no`), or an amount."""

    invoice_line_no: int | None = Field(
        default=None, description="The invoice line it credits; None for a credit of an amount"
    )


class CreditNoteIssued(Payload):
    """A credit note corrects an issued invoice (never edited): it reduces what the invoice
    still owes; what it credits beyond that becomes the customer's credit."""

    credit_note_id: str
    number: str
    invoice_id: str
    invoice_number: str
    order_id: str
    order_number: str
    customer: CustomerRef
    billing_address: Address | None = None
    issue_date: date
    currency: CurrencyCode
    reason: LongText
    lines: list[CreditNoteLine]
    totals: Totals
    applied_amount: Money = Field(description="What it took off the invoice's open amount")
    customer_credit: Money = Field(description="What it left as the customer's credit")
    invoice_status: InvoiceStatus = Field(description="The invoice's status after it")
    invoice_credited_total: Money = Field(description="The invoice's credit notes together")
    invoice_balance: Money = Field(description="What the invoice still owes after it")
    return_id: str | None = Field(default=None, description="The return it credits, if any")
    return_number: ShortText | None = None


class InvoiceOverdue(Payload):
    """An invoice was not paid by its due date (found by billing's daily collection run)."""

    invoice_id: str
    invoice_number: str
    order_id: str
    customer_id: str
    currency: CurrencyCode
    due_date: date
    balance: Money
    days_past_due: int
    overdue_on: date = Field(description="The day of the run that found it overdue")


class DunningLevelReached(Payload):
    """An overdue invoice reached a dunning level (reminder, second reminder, final notice...):
    documents e-mails the invoice again with the level's text."""

    invoice_id: str
    invoice_number: str
    order_id: str
    customer: CustomerRef
    currency: CurrencyCode
    due_date: date
    balance: Money
    days_past_due: int
    level: int = Field(ge=1)
    name: ShortText
    text: LongText
    reached_on: date


class RefundPaid(Payload):
    """Customer credit (overpayments, credit notes) was paid back to the customer."""

    refund_id: str
    customer_id: str
    amount: Money
    currency: CurrencyCode
    method: ShortText
    reference: ShortText | None = None
    reason: LongText | None = None
    paid_at: datetime
    credit_left: Money = Field(description="The customer's credit in the currency after it")


class StatementAmount(Payload):
    currency: CurrencyCode
    amount: Money


class StatementEntry(Payload):
    """One movement on a customer's account, with the balance after it."""

    on: date
    kind: ShortText = Field(description="invoice, payment, payment_reversed, refund, ...")
    reference: ShortText = Field(description="The invoice number, payment reference, ...")
    debit: Money
    credit: Money
    balance: Money


class StatementAccount(Payload):
    """A customer's account in one currency over the statement's period."""

    currency: CurrencyCode
    opening_balance: Money
    entries: list[StatementEntry] = Field(default_factory=list)
    closing_balance: Money = Field(description="What the customer owes; negative: credit")


class StatementOpenItem(Payload):
    """An invoice still open at the statement's end."""

    invoice_id: str
    invoice_number: ShortText
    order_id: str
    currency: CurrencyCode
    issue_date: date
    due_date: date
    gross: Money
    open: Money
    days_past_due: int = Field(ge=0)


class StatementPrepared(Payload):
    """Billing prepared a customer's statement for a period, on request: the documents service
    renders it as a PDF (documents never asks billing; everything it prints is here)."""

    statement_id: str
    customer_id: str
    customer_name: ShortText | None = None
    period_start: date
    period_end: date
    accounts: list[StatementAccount] = Field(default_factory=list)
    open_items: list[StatementOpenItem] = Field(default_factory=list)
    credit: list[StatementAmount] = Field(default_factory=list)
    owner: ShortText | None = Field(default=None, description="The customer's owner, if known")
    team: ShortText | None = Field(default=None, description="The customer's team, if known")


class EInvoicePrepared(Payload):
    """Billing prepared an invoice (or credit note) in EN 16931 form: the documents service
    embeds the CII XML in the document's PDF, making it a Factur-X PDF/A-3."""

    invoice_id: str
    invoice_number: ShortText
    order_id: str
    document_type: Annotated[str, Field(pattern=r"^[0-9]{3}$")] = Field(
        description="UNTDID 1001: 380 commercial invoice, 381 credit note"
    )
    currency: CurrencyCode
    net_total: Money
    tax_total: Money
    gross_total: Money
    profile: ShortText = Field(description="The CII guideline, e.g. urn:cen.eu:en16931:2017")
    xml: Annotated[str, Field(max_length=800_000)] = Field(description="The CII XML (UTF-8)")


# --- documents.events -------------------------------------------------------------------------


class DocumentKind(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class DocumentGenerated(Payload):
    document_id: str
    order_id: str
    kind: DocumentKind
    reference: ShortText = Field(description="The order or invoice number the document shows")
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class QuoteDocumentGenerated(Payload):
    """The PDF of a quote (quotes are not orders: their documents have an event of their own)."""

    document_id: str
    quote_id: str
    reference: ShortText
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class PurchaseOrderDocumentGenerated(Payload):
    """The PDF of a purchase order (key and subject: the purchase order id)."""

    document_id: str
    purchase_order_id: str
    reference: ShortText = Field(description="The purchase order number")
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class DeliveryNoteGenerated(Payload):
    """The delivery note (packing slip) of one shipment of an order: lines and quantities, no
    prices (key and subject: the order id)."""

    document_id: str
    order_id: str
    shipment_id: str
    reference: ShortText = Field(description="The delivery note's number")
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class EmailStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # given up after the configured attempts; an operator can resend


class StatementDocumentGenerated(Payload):
    """The PDF of a customer's statement (about a customer, not an order)."""

    document_id: str
    statement_id: str
    customer_id: str
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class EInvoiceGenerated(Payload):
    """A Factur-X PDF/A-3 (the invoice's PDF with its CII XML embedded) was stored."""

    document_id: str
    order_id: str
    invoice_id: str
    reference: ShortText = Field(description="The invoice or credit note number")
    document_type: Annotated[str, Field(pattern=r"^[0-9]{3}$")]
    filename: ShortText
    content_type: ShortText = "application/pdf"
    size: int
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    download_path: ShortText


class DocumentEmailed(Payload):
    """A document was e-mailed to a contact (or sending it failed for good)."""

    email_id: str
    document_id: str
    order_id: str | None = None
    quote_id: str | None = None
    to: list[ShortText]
    subject: ShortText
    status: EmailStatus
    attempts: int
    error: LongText | None = None
    purchase_order_id: str | None = Field(
        default=None,
        description="The purchase order of a purchase order's PDF (e-mailed to its vendor)",
    )


class NotificationEmailed(Payload):
    """An order's owner was e-mailed about a milestone (or sending failed for good)."""

    email_id: str
    order_id: str
    milestone: ShortText  # the milestone's event type, e.g. suite.order.shipped.v1
    to: list[ShortText]
    subject: ShortText
    status: EmailStatus
    attempts: int
    error: LongText | None = None


# --- orders.events: webhooks ----------------------------------------------------------------


class WebhookDisabled(Payload):
    """A webhook subscription was disabled after repeated failed deliveries (key: its id)."""

    subscription_id: str
    url: LongText
    reason: LongText
    consecutive_failures: int


class CustomerChanged(Payload):
    """A customer was created, renamed or reassigned: who owns it now (ADR 18). Other services
    keep a view of customers' owners from it (billing: which salespeople see whose
    receivables)."""

    customer_id: str
    name: ShortText
    owner: ShortText | None = None
    team: ShortText | None = None
    archived: bool = False


# --- the type catalogue ------------------------------------------------------------------------

PREFIX = "suite"


class EventType(StrEnum):
    ORDER_SUBMITTED = f"{PREFIX}.order.submitted.v1"
    ORDER_CREATED = f"{PREFIX}.order.created.v1"
    ORDER_CONFIRMED = f"{PREFIX}.order.confirmed.v1"
    ORDER_CANCELLED = f"{PREFIX}.order.cancelled.v1"
    ORDER_COMPLETED = f"{PREFIX}.order.completed.v1"
    ORDER_CLOSED_SHORT = f"{PREFIX}.order.closed_short.v1"
    ORDER_STAGE_CHANGED = f"{PREFIX}.order.stage_changed.v1"
    ORDER_REVISED = f"{PREFIX}.order.revised.v1"
    QUOTE_SENT = f"{PREFIX}.quote.sent.v1"
    QUOTE_ACCEPTED = f"{PREFIX}.quote.accepted.v1"
    QUOTE_REJECTED = f"{PREFIX}.quote.rejected.v1"
    QUOTE_CONVERTED = f"{PREFIX}.quote.converted.v1"
    STOCK_RESERVED = f"{PREFIX}.stock.reserved.v1"
    STOCK_RESERVATION_FAILED = f"{PREFIX}.stock.reservation_failed.v1"
    STOCK_RELEASED = f"{PREFIX}.stock.released.v1"
    STOCK_RESERVATION_CHANGED = f"{PREFIX}.stock.reservation_changed.v1"
    SHIPMENT_DISPATCHED = f"{PREFIX}.shipment.dispatched.v1"
    SHIPMENT_DELIVERED = f"{PREFIX}.shipment.delivered.v1"
    STOCK_ADJUSTED = f"{PREFIX}.stock.adjusted.v1"
    PURCHASE_ORDER_SENT = f"{PREFIX}.purchase_order.sent.v1"
    PURCHASE_ORDER_CANCELLED = f"{PREFIX}.purchase_order.cancelled.v1"
    GOODS_RECEIVED = f"{PREFIX}.goods.received.v1"
    RETURN_AUTHORISED = f"{PREFIX}.return.authorised.v1"
    RETURN_RECEIVED = f"{PREFIX}.return.received.v1"
    PRODUCT_CHANGED = f"{PREFIX}.product.changed.v1"
    STOCK_LEVEL_CHANGED = f"{PREFIX}.stock.level_changed.v1"
    STOCK_LOW = f"{PREFIX}.stock.low.v1"
    TRANSFER_DISPATCHED = f"{PREFIX}.transfer.dispatched.v1"
    TRANSFER_RECEIVED = f"{PREFIX}.transfer.received.v1"
    WAREHOUSE_CHANGED = f"{PREFIX}.warehouse.changed.v1"
    INVOICE_ISSUED = f"{PREFIX}.invoice.issued.v1"
    PAYMENT_RECEIVED = f"{PREFIX}.payment.received.v1"
    PAYMENT_REVERSED = f"{PREFIX}.payment.reversed.v1"
    REFUND_PAID = f"{PREFIX}.refund.paid.v1"
    INVOICE_OVERDUE = f"{PREFIX}.invoice.overdue.v1"
    CREDIT_NOTE_ISSUED = f"{PREFIX}.credit_note.issued.v1"
    DUNNING_LEVEL_REACHED = f"{PREFIX}.invoice.dunning_level_reached.v1"
    DOCUMENT_GENERATED = f"{PREFIX}.document.generated.v1"
    QUOTE_DOCUMENT_GENERATED = f"{PREFIX}.quote.document_generated.v1"
    PURCHASE_ORDER_DOCUMENT_GENERATED = f"{PREFIX}.purchase_order.document_generated.v1"
    DELIVERY_NOTE_GENERATED = f"{PREFIX}.delivery_note.generated.v1"
    DOCUMENT_EMAILED = f"{PREFIX}.document.emailed.v1"
    NOTIFICATION_EMAILED = f"{PREFIX}.notification.emailed.v1"
    WEBHOOK_DISABLED = f"{PREFIX}.webhook.disabled.v1"
    ORDER_BACKORDERED = f"{PREFIX}.order.backordered.v1"
    ORDER_SHIPPED = f"{PREFIX}.order.shipped.v1"
    ORDER_PAID = f"{PREFIX}.order.paid.v1"
    ORDER_OVERDUE = f"{PREFIX}.order.overdue.v1"
    INVOICE_DRAFTED = f"{PREFIX}.invoice.drafted.v1"
    INVOICE_DRAFT_UPDATED = f"{PREFIX}.invoice.draft_updated.v1"
    INVOICE_DRAFT_DISCARDED = f"{PREFIX}.invoice.draft_discarded.v1"
    DOWN_PAYMENT_DEDUCTED = f"{PREFIX}.invoice.down_payment_deducted.v1"
    RECURRING_SCHEDULE_PAUSED = f"{PREFIX}.recurring_schedule.paused.v1"
    RECURRING_SCHEDULE_RESUMED = f"{PREFIX}.recurring_schedule.resumed.v1"
    RECURRING_SCHEDULE_ENDED = f"{PREFIX}.recurring_schedule.ended.v1"
    CUSTOMER_CHANGED = f"{PREFIX}.customer.changed.v1"
    STATEMENT_PREPARED = f"{PREFIX}.statement.prepared.v1"
    EINVOICE_PREPARED = f"{PREFIX}.einvoice.prepared.v1"
    STATEMENT_DOCUMENT_GENERATED = f"{PREFIX}.statement.document_generated.v1"
    EINVOICE_GENERATED = f"{PREFIX}.einvoice.generated.v1"


PAYLOADS: dict[EventType, type[BaseModel]] = {
    EventType.ORDER_SUBMITTED: OrderSubmitted,
    EventType.ORDER_CREATED: OrderCreated,
    EventType.ORDER_CONFIRMED: OrderConfirmed,
    EventType.ORDER_CANCELLED: OrderCancelled,
    EventType.ORDER_COMPLETED: OrderCompleted,
    EventType.ORDER_CLOSED_SHORT: OrderClosedShort,
    EventType.ORDER_STAGE_CHANGED: OrderStageChanged,
    EventType.ORDER_REVISED: OrderRevised,
    EventType.QUOTE_SENT: QuoteSent,
    EventType.QUOTE_ACCEPTED: QuoteAccepted,
    EventType.QUOTE_REJECTED: QuoteRejected,
    EventType.QUOTE_CONVERTED: QuoteConverted,
    EventType.STOCK_RESERVED: StockReserved,
    EventType.STOCK_RESERVATION_FAILED: StockReservationFailed,
    EventType.STOCK_RELEASED: StockReleased,
    EventType.STOCK_RESERVATION_CHANGED: StockReservationChanged,
    EventType.SHIPMENT_DISPATCHED: ShipmentDispatched,
    EventType.SHIPMENT_DELIVERED: ShipmentDelivered,
    EventType.STOCK_ADJUSTED: StockAdjusted,
    EventType.PURCHASE_ORDER_SENT: PurchaseOrderSent,
    EventType.PURCHASE_ORDER_CANCELLED: PurchaseOrderCancelled,
    EventType.GOODS_RECEIVED: GoodsReceived,
    EventType.RETURN_AUTHORISED: ReturnAuthorised,
    EventType.RETURN_RECEIVED: ReturnReceived,
    EventType.PRODUCT_CHANGED: ProductChanged,
    EventType.STOCK_LEVEL_CHANGED: StockLevelChanged,
    EventType.STOCK_LOW: StockLow,
    EventType.TRANSFER_DISPATCHED: TransferMoved,
    EventType.TRANSFER_RECEIVED: TransferMoved,
    EventType.WAREHOUSE_CHANGED: WarehouseChanged,
    EventType.INVOICE_ISSUED: InvoiceIssued,
    EventType.PAYMENT_RECEIVED: PaymentReceived,
    EventType.PAYMENT_REVERSED: PaymentReversed,
    EventType.REFUND_PAID: RefundPaid,
    EventType.INVOICE_OVERDUE: InvoiceOverdue,
    EventType.CREDIT_NOTE_ISSUED: CreditNoteIssued,
    EventType.DUNNING_LEVEL_REACHED: DunningLevelReached,
    EventType.DOCUMENT_GENERATED: DocumentGenerated,
    EventType.QUOTE_DOCUMENT_GENERATED: QuoteDocumentGenerated,
    EventType.PURCHASE_ORDER_DOCUMENT_GENERATED: PurchaseOrderDocumentGenerated,
    EventType.DELIVERY_NOTE_GENERATED: DeliveryNoteGenerated,
    EventType.DOCUMENT_EMAILED: DocumentEmailed,
    EventType.NOTIFICATION_EMAILED: NotificationEmailed,
    EventType.WEBHOOK_DISABLED: WebhookDisabled,
    EventType.ORDER_BACKORDERED: OrderMilestone,
    EventType.ORDER_SHIPPED: OrderMilestone,
    EventType.ORDER_PAID: OrderMilestone,
    EventType.ORDER_OVERDUE: OrderMilestone,
    EventType.INVOICE_DRAFTED: InvoiceDrafted,
    EventType.INVOICE_DRAFT_UPDATED: InvoiceDrafted,
    EventType.INVOICE_DRAFT_DISCARDED: InvoiceDraftDiscarded,
    EventType.DOWN_PAYMENT_DEDUCTED: DownPaymentDeducted,
    EventType.RECURRING_SCHEDULE_PAUSED: RecurringScheduleChanged,
    EventType.RECURRING_SCHEDULE_RESUMED: RecurringScheduleChanged,
    EventType.RECURRING_SCHEDULE_ENDED: RecurringScheduleChanged,
    EventType.CUSTOMER_CHANGED: CustomerChanged,
    EventType.STATEMENT_PREPARED: StatementPrepared,
    EventType.EINVOICE_PREPARED: EInvoicePrepared,
    EventType.STATEMENT_DOCUMENT_GENERATED: StatementDocumentGenerated,
    EventType.EINVOICE_GENERATED: EInvoiceGenerated,
}

__all__ = ["PAYLOADS", "EventType", "Totals"]
