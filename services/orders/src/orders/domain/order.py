"""The sales order and its three state dimensions: status, fulfilment and billing.

Pure Python. Every transition either changes the order or raises `IllegalTransition` leaving it
untouched; the methods driven by other services' events return whether anything changed, so a
second delivery of the same business fact (under another event id) is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from orders.domain.content import (
    CONTENT_FIELDS,
    DEFAULT_PAYMENT_TERMS,
    DELIVERY_DATE_FIELDS,
    Address,
    Line,
    LineInput,
    LineKind,
    OpportunityRef,
    PaymentTerms,
    Recurring,
    build_lines,
    check_delivery_dates,
    in_currency_of,
)
from orders.domain.errors import (
    IllegalTransition,
    InvalidOrder,
    MissingFields,
)
from orders.domain.totals import ZERO, LineAmounts, Totals, totals


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
    PARTIALLY_INVOICED = "partially_invoiced"  # invoiced in part (on delivery, by hand)
    INVOICED = "invoiced"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"  # not paid by the invoice's due date (until it is paid)
    PAID = "paid"
    CREDITED = "credited"


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str | None
    actor: str | None
    decided_at: datetime


@dataclass(frozen=True)
class Document:
    document_id: str
    kind: str
    reference: str
    download_path: str


# The billing states a payment can move to, and how far along each is: never go back.
_BILLING_RANK = {
    Billing.NOT_INVOICED: 0,
    Billing.PARTIALLY_INVOICED: 1,
    Billing.INVOICED: 2,
    Billing.PARTIALLY_PAID: 3,
    Billing.OVERDUE: 4,  # a part payment of an overdue invoice leaves it overdue
    Billing.PAID: 5,
    Billing.CREDITED: 6,
}


_INVOICE_STATES = frozenset({"issued", "partially_paid", "paid", "credited", "overdue"})
_SETTLED = frozenset({"paid", "credited"})


def billing_of_invoices(statuses: Iterable[str], *, fully_invoiced: bool) -> Billing:
    """An order's billing state from its invoices' statuses: overdue while one is; paid (or
    credited, all of them) once every invoice is settled and the order wholly invoiced; else
    partially paid once anything was paid, else invoiced (in part while not wholly)."""
    found = list(statuses)
    if not found:
        return Billing.NOT_INVOICED
    if "overdue" in found:
        return Billing.OVERDUE
    if fully_invoiced and all(status in _SETTLED for status in found):
        return Billing.CREDITED if all(s == "credited" for s in found) else Billing.PAID
    if any(status in ("paid", "partially_paid") for status in found):
        return Billing.PARTIALLY_PAID
    return Billing.INVOICED if fully_invoiced else Billing.PARTIALLY_INVOICED


EDITABLE_FIELDS = frozenset(
    {
        *CONTENT_FIELDS,
        "order_date",
        "contract_number",
        "warehouse",
        "split_allowed",
        *DELIVERY_DATE_FIELDS,
    }
)


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


@dataclass(frozen=True)
class OrderSummary:
    """An order's header alone, as lists that need no lines show it: its states and its totals
    as stored with it (the same as `Order.totals`, which the lines make)."""

    id: str
    number: str
    customer_id: str | None
    currency: str
    order_date: date
    status: OrderStatus
    fulfilment: Fulfilment
    billing: Billing
    stage: str | None
    net: Decimal
    tax: Decimal
    gross: Decimal
    invoiced_total: Decimal | None
    external_reference: str | None
    owner: str | None
    team: str | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


# Order's memo of its totals: (the currency, each line's tax rate and amounts, their totals).
_TOTALS = "_totals_of_inputs"
_TotalsMemo = tuple[str, list[tuple[Decimal, LineAmounts]], Totals]


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
    # The last sequence applied per producer (event source): its events only move forwards.
    applied_sequences: dict[str, int] = field(default_factory=dict)
    # Inventory answered "nothing to reserve": it stocks none of the product lines (its
    # catalogue knows them as services), so nothing will be shipped and none is awaited.
    nothing_to_ship: bool = False
    owner: str | None = None  # the responsible user (token subject); see domain.ownership
    team: str | None = None
    # The gross its invoices add up to, as billing last reported it.
    invoiced_total: Decimal | None = None
    # Each of its invoices' last reported status (issued, partially_paid, paid, credited, or
    # overdue until paid): the order's billing state is theirs taken together.
    invoice_states: dict[str, str] = field(default_factory=dict)
    # Where inventory reserves it: this warehouse only, or (None) by its rule; whether its
    # SKUs may then be reserved in different warehouses.
    warehouse: str | None = None
    split_allowed: bool = False
    # When the customer asked for the goods and when they were promised (a line may carry its
    # own); on or after the order date (content.check_delivery_dates).
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None
    # Closed short: the unshipped remainder is cancelled, the order completes once inventory
    # released what it still held (see close_short).
    closed_short_at: datetime | None = None

    # True only for lines made for this order alone and priced in its currency already (the
    # repository's, read from their rows): kept as they are instead of copied into it.
    lines_in_currency: InitVar[bool] = False

    def __post_init__(self, lines_in_currency: bool) -> None:
        if not lines_in_currency:
            self.lines = in_currency_of(self.lines, self.currency)

    # --- derived ------------------------------------------------------------------------------

    @property
    def totals(self) -> Totals:
        # A create asks for them five times (the lines, the row, the event, the snapshot, the
        # answer): summed again only when the currency or a line's tax rate or amounts is
        # another object, by identity as in `Line.amounts`, whose own memo keeps them the same.
        rated = [(line.tax_rate, line.amounts) for line in self.lines]
        memo: _TotalsMemo | None = self.__dict__.get(_TOTALS)
        if (
            memo is not None
            and memo[0] is self.currency
            and len(memo[1]) == len(rated)
            and all(
                old[0] is new[0] and old[1] is new[1]
                for old, new in zip(memo[1], rated, strict=True)
            )
        ):
            return memo[2]
        summed = totals(rated, currency=self.currency)
        self.__dict__[_TOTALS] = (self.currency, rated, summed)
        return summed

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

    def summary(self) -> OrderSummary:
        totals = self.totals
        return OrderSummary(
            id=self.id,
            number=self.number,
            customer_id=self.customer_id,
            currency=self.currency,
            order_date=self.order_date,
            status=self.status,
            fulfilment=self.fulfilment,
            billing=self.billing,
            stage=self.stage,
            net=totals.net,
            tax=totals.tax,
            gross=totals.gross,
            invoiced_total=self.invoiced_total,
            external_reference=self.external_reference,
            owner=self.owner,
            team=self.team,
            archived_at=self.archived_at,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

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
        currency = changes.get("currency", self.currency)
        assert isinstance(currency, str)
        new_lines = build_lines(lines, currency=currency) if lines is not None else None
        if new_lines is not None or {"order_date", *DELIVERY_DATE_FIELDS} & set(changes):
            self.check_delivery_dates(changes, new_lines)
        for name, value in changes.items():
            setattr(self, name, value)
        self.lines = in_currency_of(new_lines if new_lines is not None else self.lines, currency)

    def check_delivery_dates(
        self, changes: Mapping[str, object], lines: Sequence[Line] | None = None
    ) -> None:
        """The delivery dates the order would have with `changes` (and `lines` if given) are
        on or after its order date (InvalidOrder naming the first that is not)."""
        order_date = changes.get("order_date", self.order_date)
        assert isinstance(order_date, date)
        dates = {name: changes.get(name, getattr(self, name)) for name in DELIVERY_DATE_FIELDS}
        check_delivery_dates(
            order_date,
            {name: value for name, value in dates.items() if isinstance(value, date)},
            self.lines if lines is None else lines,
        )

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

    @property
    def has_shipped(self) -> bool:
        """Whether any goods of the order have left a warehouse (a shipment was reported)."""
        return (
            bool(self.shipment_ids)
            or self.fulfilment in (Fulfilment.PARTIALLY_SHIPPED, Fulfilment.SHIPPED)
            or any(line.shipped_quantity > 0 for line in self.product_lines)
        )

    def cancel(self, reason: str | None = None) -> OrderStatus:
        """draft/open → cancelled while nothing has shipped; returns the status it had.

        Once goods have left (fully or partially shipped) the order can no longer be cancelled:
        what shipped is to be invoiced, so the refusal names the shipments.
        """
        if self.status not in (OrderStatus.DRAFT, OrderStatus.OPEN):
            raise IllegalTransition("cancel", self.status)
        if self.has_shipped:
            shipments = sorted(self.shipment_ids)
            raise IllegalTransition(
                "cancel",
                self.status,
                f"the order is {self.status.value} and {self.fulfilment.value}: goods have "
                f"shipped (shipments: {', '.join(shipments) or 'reported'}), so it can only "
                "be completed",
                details={"shipment_ids": shipments},
            )
        previous = self.status
        self.status = OrderStatus.CANCELLED
        self.cancellation_reason = reason
        if self.fulfilment is Fulfilment.BACKORDERED or self._reserved_with_nothing_to_ship():
            self.fulfilment = Fulfilment.UNRESERVED  # nothing was held: nothing to release
        return previous

    def close_short(self, now: datetime, reason: str | None = None) -> list[tuple[str, Decimal]]:
        """End an open, partially shipped order early: the unshipped remainder is cancelled.

        Returns the remainder per SKU (what inventory is to release). The order stays open
        until inventory answers that it released what it held (`finish_close_short`), so a
        shipment already on its way still counts. Only a partially shipped order can: with
        nothing shipped it is cancelled instead, fully shipped it is completed.
        """
        self.ensure_open("close short")
        if self.closed_short_at is not None:
            raise IllegalTransition(
                "close short", self.status, "the order is already being closed short"
            )
        if not self.has_shipped:
            raise IllegalTransition(
                "close short",
                self.status,
                f"nothing of the order has shipped (fulfilment: {self.fulfilment.value}); "
                "cancel it instead",
            )
        if self.fulfilment is Fulfilment.SHIPPED:
            raise IllegalTransition(
                "close short", self.status, "the order is fully shipped; complete it instead"
            )
        remainder: dict[str, Decimal] = {}
        for line in self.product_lines:
            rest = line.due_quantity - line.shipped_quantity
            if rest > 0:
                remainder[line.sku] = remainder.get(line.sku, ZERO) + rest
        self.closed_short_at = now
        self.cancellation_reason = reason
        return sorted(remainder.items())

    @property
    def closing_short(self) -> bool:
        """Closed short and waiting for inventory to release the remainder."""
        return self.closed_short_at is not None and self.status is OrderStatus.OPEN

    def finish_close_short(self) -> bool:
        """Inventory released what the order held: each product line now delivers what
        shipped (the rest is cancelled) and the order is concluded, to be invoiced for that."""
        if not self.closing_short:
            return False
        for line in self.product_lines:
            line.cancelled_quantity = max(line.quantity - line.shipped_quantity, ZERO)
        self.fulfilment = Fulfilment.SHIPPED
        self.status = OrderStatus.CONCLUDED
        return True

    def complete(self) -> None:
        """open → concluded, once every stocked line is shipped (at once for services only;
        once reserved when inventory had nothing to reserve, as nothing will be shipped)."""
        if self.status is not OrderStatus.OPEN:
            raise IllegalTransition("complete", self.status)
        if self.closing_short:
            raise IllegalTransition(
                "complete",
                self.status,
                "the order is being closed short: it completes once its stock is released",
            )
        ready = self.fulfilment is Fulfilment.SHIPPED or self._reserved_with_nothing_to_ship()
        if self.has_products and not ready:
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

    # --- facts reported by other services -----------------------------------------------------

    def takes_sequence(self, source: str, sequence: int | None) -> bool:
        """Whether an event numbered `sequence` by `source` is newer than every event of that
        source applied so far (then it is remembered). An older or repeated number is stale:
        its fact was overtaken and must not move the state back. Unnumbered events (producers
        that do not number them) are taken as they come."""
        if sequence is None:
            return True
        if sequence <= self.applied_sequences.get(source, 0):
            return False
        self.applied_sequences[source] = sequence
        return True

    # --- facts reported by inventory ----------------------------------------------------------

    def _tracks_stock(self) -> bool:
        return self.status is not OrderStatus.DRAFT and self.has_products

    def _reserved_with_nothing_to_ship(self) -> bool:
        return self.nothing_to_ship and self.fulfilment is Fulfilment.RESERVED

    def stock_reserved(self, *, nothing_to_reserve: bool = False) -> bool:
        """Inventory reserved the order's stocked lines, or had none to reserve (a reservation
        without lines): then nothing will be shipped, and none is awaited to complete."""
        if not self._tracks_stock():
            return False
        if self.fulfilment not in (
            Fulfilment.UNRESERVED,
            Fulfilment.RESERVING,
            Fulfilment.BACKORDERED,
        ):
            return False  # already reserved, or shipping: a repeated fact changes nothing
        before = (self.fulfilment, self.nothing_to_ship)
        self.nothing_to_ship = nothing_to_reserve
        if nothing_to_reserve and self.status is OrderStatus.CANCELLED:
            # Cancelled while inventory looked: nothing is held, and nothing will be released.
            self.fulfilment = Fulfilment.UNRESERVED
        else:
            self.fulfilment = Fulfilment.RESERVED
        return (self.fulfilment, self.nothing_to_ship) != before

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

    def reservation_changed(self, *, fully_reserved: bool, holds_stock: bool) -> bool:
        """Inventory changed what it holds for the order after a revision (or reserved what a
        revision left waiting): reserved when nothing waits any more, else backordered. Once
        goods have left, shipping says where the order stands and this changes nothing."""
        if not self._tracks_stock() or self.status is not OrderStatus.OPEN:
            return False
        before = (self.fulfilment, self.nothing_to_ship)
        if holds_stock:
            self.nothing_to_ship = False
        if self.fulfilment in (
            Fulfilment.UNRESERVED,
            Fulfilment.RESERVING,
            Fulfilment.RESERVED,
            Fulfilment.BACKORDERED,
        ):
            self.fulfilment = Fulfilment.RESERVED if fully_reserved else Fulfilment.BACKORDERED
        return (self.fulfilment, self.nothing_to_ship) != before

    def shipment_dispatched(
        self,
        shipment_id: str,
        shipped: Iterable[tuple[str, Decimal]],
        fully_shipped: bool,
        *,
        stale: bool = False,
    ) -> bool:
        """Add a shipment's quantities to the lines of its SKUs (each shipment counts once).

        A stale report (overtaken by a later event of inventory) still counts its goods, which
        did leave, but leaves the fulfilment where the later event put it.
        """
        if shipment_id in self.shipment_ids or not self.has_products:
            return False
        self.shipment_ids.add(shipment_id)
        for sku, quantity in shipped:
            self._add_shipped(sku, quantity)
        if not stale:
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

    def goods_returned(self, returned: Iterable[tuple[str, Decimal]]) -> bool:
        """Add a received return's quantities to the lines of its SKUs: first to the first line
        with shipped goods not yet returned, the rest to the last line of the SKU."""
        changed = False
        for sku, quantity in returned:
            candidates = [line for line in self.product_lines if line.sku == sku]
            if not candidates:
                continue
            remaining = quantity
            for line in candidates:
                taken = min(max(line.shipped_quantity - line.returned_quantity, ZERO), remaining)
                line.returned_quantity += taken
                remaining -= taken
            candidates[-1].returned_quantity += remaining  # more than shipped: keep the truth
            changed = True
        return changed

    # --- facts reported by billing and documents ----------------------------------------------

    def invoice_issued(
        self,
        invoice_status: str | None = None,
        invoiced_total: Decimal | None = None,
        invoice_id: str | None = None,
    ) -> bool:
        """The order is invoiced, in part while its invoices add up to less than its gross
        total; a zero-total invoice is `paid` as soon as it is issued."""
        changed = False
        if invoiced_total is not None and (
            self.invoiced_total is None or invoiced_total > self.invoiced_total
        ):
            self.invoiced_total = invoiced_total
            changed = True
        if invoice_id is not None:
            return self._invoice_now(invoice_id, invoice_status or "issued") or changed
        if invoice_status is not None and invoice_status != "issued":
            return self.payment_received(invoice_status) or changed
        in_part = self.invoiced_total is not None and self.invoiced_total < self.totals.gross
        target = Billing.PARTIALLY_INVOICED if in_part else Billing.INVOICED
        if _BILLING_RANK[target] <= _BILLING_RANK[self.billing]:
            return changed
        self.billing = target
        return True

    @property
    def uninvoiced_total(self) -> Decimal | None:
        """What its invoices have not taken yet (None until billing reported a total)."""
        if self.invoiced_total is None:
            return None
        return self.totals.gross - self.invoiced_total

    def payment_received(self, invoice_status: str, invoice_id: str | None = None) -> bool:
        """Follow the invoice's status after a payment (issued/partially_paid/paid/credited)."""
        if invoice_id is not None:
            was = self.invoice_states.get(invoice_id)
            if was == Billing.OVERDUE.value and invoice_status in ("issued", "partially_paid"):
                return False  # a part payment of an overdue invoice leaves it overdue
            return self._invoice_now(invoice_id, invoice_status)
        try:
            target = Billing.INVOICED if invoice_status == "issued" else Billing(invoice_status)
        except ValueError:
            return False
        if _BILLING_RANK[target] <= _BILLING_RANK[self.billing]:
            return False  # an older or repeated fact: billing never goes back
        self.billing = target
        return True

    def invoice_overdue(self, invoice_id: str | None = None) -> bool:
        """The invoice was not paid by its due date: overdue until it is paid."""
        if invoice_id is not None:
            return self._invoice_now(invoice_id, Billing.OVERDUE.value)
        return self.payment_received(Billing.OVERDUE.value)

    def payment_reversed(self, invoice_status: str, invoice_id: str | None = None) -> bool:
        """Follow the invoice's status after a reversed payment: the one fact that moves billing
        back (a paid invoice owes again). Only ever applied in billing's sequence."""
        if invoice_id is not None:
            if self.invoice_states.get(invoice_id) == Billing.OVERDUE.value:
                return False  # an overdue invoice that owes more again is still overdue
            return self._invoice_now(invoice_id, invoice_status)
        try:
            target = Billing.INVOICED if invoice_status == "issued" else Billing(invoice_status)
        except ValueError:
            return False
        if target is self.billing or self.billing in (Billing.NOT_INVOICED, Billing.OVERDUE):
            return False  # an overdue invoice that owes more again is still overdue
        self.billing = target
        return True

    def _invoice_now(self, invoice_id: str, status: str) -> bool:
        """One invoice's new status; the order's billing state follows all its invoices."""
        if status not in _INVOICE_STATES:
            return False
        self.invoice_states[invoice_id] = status
        target = billing_of_invoices(
            self.invoice_states.values(), fully_invoiced=(self.uninvoiced_total or 0) <= 0
        )
        if target is self.billing:
            return False
        self.billing = target
        return True

    def add_document(self, document: Document) -> bool:
        if any(d.document_id == document.document_id for d in self.documents):
            return False
        self.documents.append(document)
        return True
