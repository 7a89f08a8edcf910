"""Domain values ↔ table rows, shared by the repositories of orders and quotes."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, or_, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from orders.domain.content import (
    Address,
    Line,
    LineKind,
    OpportunityRef,
    PaymentTerms,
    RecurrenceFrequency,
    Recurring,
)
from orders.domain.order import Approval
from orders.domain.totals import ZERO, Totals, in_currency
from servicekit.mapping import copied_or_none

# An id already in the canonical form (what the suite itself writes) is its own answer: matching
# it costs a fifth of parsing it, which every event and request did.
_CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_id(value: object) -> str | None:
    """The canonical form of a UUID id, or None: anything else names nothing here."""
    if not isinstance(value, str):
        return None
    if _CANONICAL_ID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


async def row_by_id(
    session: AsyncSession,
    table: Table,
    row_id: str,
    *conditions: ColumnElement[bool],
    for_update: bool = False,
) -> Row[Any] | None:
    """The row of `table` with this id that meets `conditions` (locked if `for_update`), or None:
    also when `row_id` is no id at all."""
    wanted = canonical_id(row_id)
    if wanted is None:
        return None
    query = _by_id(table, for_update)
    if conditions:
        query = query.where(*conditions)
    found: Row[Any] | None = (await session.execute(query, {"row_id": wanted})).first()
    return found


@cache  # built once per table: building it for every read cost more than sending it
def _by_id(table: Table, for_update: bool) -> Select[Any]:
    query = select(table).where(table.c.id == bindparam("row_id"))
    return query.with_for_update() if for_update else query


@cache  # built once per table and columns: it runs directly (ADR 51)
def upserting(table: Table, columns: tuple[str, ...]) -> Insert:
    """Insert a row (its `id` and `columns` as parameters), or write `columns` of the row that
    has its id."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={name: statement.excluded[name] for name in columns}
    )


def escape_like(text: str) -> str:
    """`text` matched literally inside an (I)LIKE pattern (backslash is the escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_match(q: str, *columns: Any) -> ColumnElement[bool]:
    """Any of the columns contains `q` (case-insensitively, taken literally)."""
    pattern = f"%{escape_like(q)}%"
    return or_(*(column.ilike(pattern) for column in columns))


def address_to_json(address: Address | None) -> dict[str, Any] | None:
    return None if address is None else asdict(address)


def address_from_json(data: dict[str, Any] | None) -> Address | None:
    return copied_or_none(Address, data)


def approval_to_json(approval: Approval | None) -> dict[str, Any] | None:
    if approval is None:
        return None
    return {
        "approved": approval.approved,
        "reason": approval.reason,
        "actor": approval.actor,
        "decided_at": approval.decided_at.isoformat(),
    }


def approval_from_json(data: dict[str, Any] | None) -> Approval | None:
    if data is None:
        return None
    return Approval(
        approved=bool(data["approved"]),
        reason=data.get("reason"),
        actor=data.get("actor"),
        decided_at=datetime.fromisoformat(data["decided_at"]),
    )


# An order's or quote's totals as its header stores them: net, tax, gross.
StoredTotals = tuple[Decimal, Decimal, Decimal]


def stored_totals(totals: Totals) -> StoredTotals:
    """What the header stores of `totals`: net, tax and gross."""
    return totals.net, totals.tax, totals.gross


def content_values(source: Any, totals: StoredTotals | None = None) -> dict[str, Any]:
    """The columns orders and quotes share (their content and totals); `totals` when the
    caller knows them to be the source's, else the source's worked out."""
    terms: PaymentTerms | None = source.payment_terms
    opportunity: OpportunityRef | None = source.opportunity
    recurring: Recurring | None = source.recurring
    net, tax, gross = stored_totals(source.totals) if totals is None else totals
    return {
        "currency": source.currency,
        "contact": source.contact,
        "customer_reference": source.customer_reference,
        "description": source.description,
        "opening_text": source.opening_text,
        "closing_text": source.closing_text,
        "payment_terms_days": terms.days if terms else None,
        "payment_terms_text": terms.text if terms else None,
        "billing_address": address_to_json(source.billing_address),
        "shipping_address": address_to_json(source.shipping_address),
        "opportunity_id": opportunity.id if opportunity else None,
        "opportunity_name": opportunity.name if opportunity else None,
        "template_id": source.template_id,
        "recurring_frequency": recurring.frequency.value if recurring else None,
        "recurring_start": recurring.start if recurring else None,
        "recurring_end": recurring.end if recurring else None,
        "net_total": net,
        "tax_total": tax,
        "gross_total": gross,
    }


def content_from_row(row: Row[Any]) -> dict[str, Any]:
    """The domain keyword arguments of the shared columns."""
    terms = None
    if row.payment_terms_days is not None:
        terms = PaymentTerms(row.payment_terms_days, row.payment_terms_text)
    opportunity = None
    if row.opportunity_id is not None:
        opportunity = OpportunityRef(row.opportunity_id, row.opportunity_name or "")
    recurring = None
    if row.recurring_frequency is not None:
        recurring = Recurring(
            RecurrenceFrequency(row.recurring_frequency), row.recurring_start, row.recurring_end
        )
    return {
        "currency": row.currency,
        "contact": row.contact,
        "customer_reference": row.customer_reference,
        "description": row.description,
        "opening_text": row.opening_text,
        "closing_text": row.closing_text,
        "payment_terms": terms,
        "billing_address": address_from_json(row.billing_address),
        "shipping_address": address_from_json(row.shipping_address),
        "opportunity": opportunity,
        "template_id": row.template_id,
        "recurring": recurring,
    }


def line_values(owner_column: str, owner_id: str, line: Line, table: Table) -> dict[str, Any]:
    amounts = line.amounts
    values = {
        owner_column: owner_id,
        "line_no": line.line_no,
        "sku": line.sku,
        "kind": line.kind.value,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "gross_amount": amounts.gross,
        "requested_delivery_date": line.requested_delivery_date,
        "promised_delivery_date": line.promised_delivery_date,
    }
    if "shipped_quantity" in table.c:
        values["shipped_quantity"] = line.shipped_quantity
        values["cancelled_quantity"] = line.cancelled_quantity
        values["returned_quantity"] = line.returned_quantity
    return values


def line_from_row(row: Any, currency: str | None = None) -> Line:
    """A line from its row (or anything with the same-named attributes); priced in `currency`
    (its unit price written in the currency's form) if given."""
    shipped = getattr(row, "shipped_quantity", None)
    cancelled = getattr(row, "cancelled_quantity", None)
    returned = getattr(row, "returned_quantity", None)
    unit_price = Decimal(row.unit_price)
    return Line(
        line_no=row.line_no,
        sku=row.sku,
        kind=LineKind(row.kind),
        description=row.description,
        quantity=Decimal(row.quantity),
        unit_price=unit_price if currency is None else in_currency(unit_price, currency),
        discount_percent=Decimal(row.discount_percent),
        tax_rate=Decimal(row.tax_rate),
        shipped_quantity=Decimal(shipped) if shipped is not None else ZERO,
        cancelled_quantity=Decimal(cancelled) if cancelled is not None else ZERO,
        returned_quantity=Decimal(returned) if returned is not None else ZERO,
        requested_delivery_date=row.requested_delivery_date,
        promised_delivery_date=row.promised_delivery_date,
        currency=currency,
    )
