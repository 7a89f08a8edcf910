"""Changing a confirmed order: a revision of an open order's lines and dates.

Pure Python. A revision gives the order's lines as they are to be: a line naming a `line_no`
keeps that line (its item, and what has shipped of it), a line without one is added, and a line
not named is removed. Nothing may go below what has shipped: a kept line's quantity stays at or
above its shipped quantity, and a line with shipments cannot be removed (IllegalTransition,
changing nothing). The changes come back field by field, for the event and the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from orders.domain.content import (
    DELIVERY_DATE_FIELDS,
    Line,
    LineInput,
    LineKind,
    in_currency_of,
)
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.order import Fulfilment, Order, OrderStatus
from orders.domain.totals import plain

# The header fields a revision may change (besides the lines): the order date and the
# delivery dates (a promise moved after confirmation).
REVISABLE_HEADER_FIELDS = ("order_date", *DELIVERY_DATE_FIELDS)

# What a line is, as a revision compares it (shipped quantities are not the revision's to set).
LINE_FIELDS = (
    "sku",
    "kind",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    *DELIVERY_DATE_FIELDS,
)


@dataclass(frozen=True)
class RevisedLine:
    """A line of a revision: `line_no` keeps that line of the order (the fields not given stay
    as they are); without it the line is new and names its item, quantity and tax rate."""

    line_no: int | None = None
    sku: str | None = None
    kind: LineKind | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None
    # Not given (None): a kept line keeps its dates (a revision does not clear a line's date).
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Revision:
    """One revision as the timeline keeps it."""

    revision: int
    revised_at: datetime
    actor: str | None
    changes: tuple[FieldChange, ...]


def ensure_revisable(order: Order) -> None:
    """Only an open (confirmed, not concluded or cancelled) order can be revised, and not while
    it is being closed short (inventory is releasing what it held)."""
    if order.status is not OrderStatus.OPEN:
        raise IllegalTransition(
            "revise",
            order.status,
            f"the order is {order.status.value}; only an open order can be revised",
        )
    if order.closing_short:
        raise IllegalTransition(
            "revise", order.status, "the order is being closed short; it can no longer be revised"
        )


def line_inputs(order: Order, revised: Sequence[RevisedLine]) -> list[LineInput]:
    """The revision's lines as complete inputs: a kept line takes what is not given from the
    order's line (its price too), a new line must name its item, quantity and tax rate (an
    InvalidOrder names the missing field). Prices left empty are for the catalogue to fill."""
    current = {line.line_no: line for line in order.lines}
    seen: set[int] = set()
    inputs = []
    for index, given in enumerate(revised):
        where = f"lines.{index}"
        if given.line_no is None:
            inputs.append(_new_line(given, where))
            continue
        old = current.get(given.line_no)
        if old is None:
            raise InvalidOrder(f"{where}.line_no", "no line of the order has this number")
        if given.line_no in seen:
            raise InvalidOrder(f"{where}.line_no", "names a line another line already names")
        seen.add(given.line_no)
        if (given.sku is not None and given.sku != old.sku) or (
            given.kind is not None and given.kind is not old.kind
        ):
            raise InvalidOrder(
                f"{where}.sku", "a kept line keeps its item: remove the line and add a new one"
            )
        inputs.append(
            LineInput(
                sku=old.sku,
                kind=old.kind,
                description=given.description or old.description,
                quantity=old.quantity if given.quantity is None else given.quantity,
                unit_price=old.unit_price if given.unit_price is None else given.unit_price,
                tax_rate=old.tax_rate if given.tax_rate is None else given.tax_rate,
                discount_percent=(
                    old.discount_percent
                    if given.discount_percent is None
                    else given.discount_percent
                ),
                requested_delivery_date=(
                    given.requested_delivery_date or old.requested_delivery_date
                ),
                promised_delivery_date=given.promised_delivery_date or old.promised_delivery_date,
            )
        )
    return inputs


def _new_line(given: RevisedLine, where: str) -> LineInput:
    sku, kind, quantity, tax_rate = given.sku, given.kind, given.quantity, given.tax_rate
    if sku is None:
        raise InvalidOrder(f"{where}.sku", "required for a new line")
    if kind is None:
        raise InvalidOrder(f"{where}.kind", "required for a new line")
    if quantity is None:
        raise InvalidOrder(f"{where}.quantity", "required for a new line")
    if tax_rate is None:
        raise InvalidOrder(f"{where}.tax_rate", "required for a new line")
    return LineInput(
        sku=sku,
        kind=kind,
        description=given.description or "",
        quantity=quantity,
        unit_price=given.unit_price,
        tax_rate=tax_rate,
        discount_percent=given.discount_percent or Decimal(0),
        requested_delivery_date=given.requested_delivery_date,
        promised_delivery_date=given.promised_delivery_date,
    )


def revise(
    order: Order,
    header: Mapping[str, object],
    kept: Sequence[int | None] | None,
    lines: Sequence[Line] | None,
) -> list[FieldChange]:
    """Apply a revision to an open order; returns what changed, field by field.

    `lines` are the revision's lines, built and checked (numbered from 1 in the given order);
    `kept[i]` is the order's line number the i-th of them keeps (None: a new line). Refused
    (IllegalTransition, the order untouched) below a shipped quantity or removing a line with
    shipments; InvalidOrder when nothing changes.
    """
    ensure_revisable(order)
    unknown = set(header) - set(REVISABLE_HEADER_FIELDS)
    if unknown:
        raise InvalidOrder(sorted(unknown)[0], "cannot be revised")
    changes = [
        FieldChange(name, _text(getattr(order, name)), _text(value))
        for name, value in header.items()
        if value != getattr(order, name)
    ]
    new_lines = None
    if lines is not None:
        if kept is None or len(kept) != len(lines):
            raise ValueError("each revised line needs the line number it keeps (or None)")
        new_lines = _numbered(order, kept, lines)
        changes += _line_changes(order.lines, new_lines)
    if not changes:
        raise InvalidOrder(
            "lines" if lines is not None else next(iter(header), "order_date"), "changes nothing"
        )
    order.check_delivery_dates(header, lines)
    for name, value in header.items():
        setattr(order, name, value)
    if new_lines is not None:
        order.lines = in_currency_of(new_lines, order.currency)
        _follow_lines(order)
    return changes


def _numbered(order: Order, kept: Sequence[int | None], lines: Sequence[Line]) -> list[Line]:
    """The revision's lines with the numbers, shipped and returned quantities of the lines they
    keep;
    new lines are numbered after the highest number the order ever used here."""
    current = {line.line_no: line for line in order.lines}
    next_no = max(current, default=0) + 1
    numbered = []
    for index, (line_no, line) in enumerate(zip(kept, lines, strict=True)):
        if line_no is None:
            numbered.append(replace(line, line_no=next_no, shipped_quantity=Decimal(0)))
            next_no += 1
            continue
        old = current[line_no]
        if line.quantity < old.shipped_quantity:
            raise IllegalTransition(
                "revise",
                order.status,
                f"line {line_no} ({old.sku}): {plain(old.shipped_quantity)} have shipped; "
                f"its quantity cannot go below that (lines.{index}.quantity)",
                details={
                    "field": f"lines.{index}.quantity",
                    "line_no": line_no,
                    "shipped_quantity": str(plain(old.shipped_quantity)),
                },
            )
        numbered.append(
            replace(
                line,
                line_no=line_no,
                shipped_quantity=old.shipped_quantity,
                returned_quantity=old.returned_quantity,
            )
        )
    removed = set(current) - {n for n in kept if n is not None}
    for line_no in sorted(removed):
        old = current[line_no]
        if old.shipped_quantity > 0:
            raise IllegalTransition(
                "revise",
                order.status,
                f"line {line_no} ({old.sku}) has shipped {plain(old.shipped_quantity)}: "
                "it cannot be removed",
                details={"line_no": line_no, "shipped_quantity": str(plain(old.shipped_quantity))},
            )
    return sorted(numbered, key=lambda line: line.line_no)


def _line_changes(before: Sequence[Line], after: Sequence[Line]) -> list[FieldChange]:
    old = {line.line_no: line for line in before}
    new = {line.line_no: line for line in after}
    changes = []
    for line_no in sorted(old.keys() | new.keys()):
        was, now = old.get(line_no), new.get(line_no)
        if was is None or now is None:
            changes.append(FieldChange(f"lines.{line_no}", _line_text(was), _line_text(now)))
            continue
        for name in LINE_FIELDS:
            a, b = getattr(was, name), getattr(now, name)
            if a != b:
                changes.append(FieldChange(f"lines.{line_no}.{name}", _text(a), _text(b)))
    return changes


def _follow_lines(order: Order) -> None:
    """The fulfilment the new lines imply at once: more to ship after everything shipped, all
    shipped after a cut, stock to reserve on an order that had none."""
    products = order.product_lines
    all_shipped = bool(products) and all(
        line.shipped_quantity >= line.quantity for line in products
    )
    if order.fulfilment is Fulfilment.SHIPPED and not all_shipped:
        order.fulfilment = Fulfilment.PARTIALLY_SHIPPED
    elif order.fulfilment is Fulfilment.PARTIALLY_SHIPPED and all_shipped:
        order.fulfilment = Fulfilment.SHIPPED
    elif order.fulfilment is Fulfilment.UNRESERVED and products:
        order.fulfilment = Fulfilment.RESERVING  # inventory answers the revision


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(plain(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _line_text(line: Line | None) -> str | None:
    if line is None:
        return None
    return (
        f"{plain(line.quantity)} × {line.sku} ({line.description}) at "
        f"{plain(line.unit_price)} {line.currency or ''}".rstrip()
    )
