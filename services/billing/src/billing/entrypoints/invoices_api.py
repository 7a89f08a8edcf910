"""The invoices: listed newest first, or one with its lines, totals, payments and balance."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from billing.domain.model import Invoice, InvoiceStatus
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, InvoiceId, UnitOfWorkDep
from billing.entrypoints.invoices_schemas import InvoicePage, InvoiceRead
from billing.service_layer.unit_of_work import InvoiceFilter, Position
from servicekit.api import Cursor, Limit, Storable, problem_responses
from servicekit.http import NotFound
from servicekit.pagination import created_at_and_id, cursor_position, page_of

router = APIRouter(tags=["invoices"], dependencies=ACCOUNTING_FOR_CHANGES)


def _position(position: dict[str, Any]) -> Position:
    created_at, invoice_id = created_at_and_id(position)
    return Position(created_at=created_at, id=invoice_id)


def _position_of(invoice: Invoice) -> dict[str, Any]:
    return {"created_at": invoice.created_at, "id": invoice.id}


async def _filter(
    order_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    status: InvoiceStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=200), Storable] = None,
) -> InvoiceFilter:
    return InvoiceFilter(order_id=order_id, status=status, customer_id=customer_id)


# The filters of the invoices (their list and their export).
InvoiceQuery = Annotated[InvoiceFilter, Depends(_filter)]


@router.get("/invoices", response_model=InvoicePage, responses=problem_responses(422))
async def list_invoices(
    uow: UnitOfWorkDep, where: InvoiceQuery, limit: Limit = 50, cursor: Cursor = None
) -> InvoicePage:
    """Invoices, newest first, filtered by order, status or customer."""
    after = cursor_position(cursor, _position)
    found = await uow.invoices.search(where, limit=limit + 1, after=after)
    page, next_cursor = page_of(found, limit, _position_of)
    return InvoicePage(items=[InvoiceRead.of(invoice) for invoice in page], next_cursor=next_cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(404))
async def get_invoice(invoice_id: InvoiceId, uow: UnitOfWorkDep) -> InvoiceRead:
    """One invoice with its lines, totals, payments and balance."""
    invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return InvoiceRead.of(invoice)
