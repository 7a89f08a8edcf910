"""The invoices: listed newest first, or one with its lines, totals, payments and balance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from billing.domain.model import InvoiceStatus
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, PROBLEM, UnitOfWorkDep
from billing.entrypoints.invoices_schemas import InvoicePage, InvoiceRead
from billing.service_layer.unit_of_work import InvoiceFilter, Position
from servicekit.http import InvalidInput, NotFound, decode_cursor, encode_cursor

router = APIRouter(tags=["invoices"], dependencies=ACCOUNTING_FOR_CHANGES)


def _position(cursor: str | None) -> Position | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return Position(
            created_at=datetime.fromisoformat(position["created_at"]), id=str(position["id"])
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None


@router.get("/invoices", response_model=InvoicePage, responses={422: PROBLEM})
async def list_invoices(
    uow: UnitOfWorkDep,
    order_id: Annotated[str | None, Query(max_length=200)] = None,
    status: InvoiceStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> InvoicePage:
    """Invoices, newest first, filtered by order, status or customer."""
    after = _position(cursor)
    found = await uow.invoices.search(
        InvoiceFilter(order_id=order_id, status=status, customer_id=customer_id),
        limit=limit + 1,
        after=after,
    )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit and page[-1].created_at is not None:
        next_cursor = encode_cursor(
            {"created_at": page[-1].created_at.isoformat(), "id": page[-1].id}
        )
    return InvoicePage(
        items=[InvoiceRead.model_validate(invoice) for invoice in page], next_cursor=next_cursor
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead, responses={404: PROBLEM})
async def get_invoice(invoice_id: str, uow: UnitOfWorkDep) -> InvoiceRead:
    """One invoice with its lines, totals, payments and balance."""
    invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return InvoiceRead.model_validate(invoice)
