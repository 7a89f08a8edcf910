"""The collection run on demand (an operator, or a test with its own date), and an invoice's
history: issued, payments, reversals, overdue and dunning steps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from billing.config import BillingSettings
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, InvoiceId, UnitOfWorkDep
from billing.service_layer.collection import run_collection
from servicekit.api import RequestBody, problem_responses
from servicekit.http import NotFound
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of

router = APIRouter(tags=["collection"], dependencies=ACCOUNTING_FOR_CHANGES)


class CollectionRunCreate(RequestBody):
    day: date | None = Field(default=None, description="Today (UTC) if left out")


class CollectionRunRead(BaseModel):
    day: date
    ran: bool = Field(description="False: that day's run was already done")
    overdue: int
    reminders: int


@router.post("/collection-runs", response_model=CollectionRunRead, responses=problem_responses(422))
async def create_collection_run(
    request: Request, body: CollectionRunCreate, uow: UnitOfWorkDep
) -> CollectionRunRead:
    """Run the day's collection (what the worker does daily): mark overdue invoices and the
    dunning levels they reach. A day runs once; asking again answers `ran: false`."""
    settings = runtime_of(request).spec.settings
    assert isinstance(settings, BillingSettings)
    async with uow.session.begin():
        run = await run_collection(
            uow,
            body.day or datetime.now(UTC).date(),
            settings.levels,
            correlation_id=current_correlation_id(),
        )
    return CollectionRunRead(day=run.day, ran=run.ran, overdue=run.overdue, reminders=run.reminders)


class HistoryEntry(BaseModel):
    at: datetime | date
    kind: Literal["issued", "payment", "payment_reversed", "overdue", "dunning"]
    summary: str
    amount: Annotated[str | None, Field(description="Decimal string, where money moved")] = None


class InvoiceHistory(BaseModel):
    invoice_id: str
    number: str
    entries: list[HistoryEntry]


@router.get(
    "/invoices/{invoice_id}/history",
    response_model=InvoiceHistory,
    responses=problem_responses(404),
)
async def get_invoice_history(invoice_id: InvoiceId, uow: UnitOfWorkDep) -> InvoiceHistory:
    """What happened to the invoice, in order: issued, each payment (and its reversal), overdue
    and each dunning level reached."""
    invoice = await uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    entries: list[tuple[datetime, int, HistoryEntry]] = []

    def add(at: datetime, rank: int, entry: HistoryEntry) -> None:
        entries.append((at, rank, entry))

    if invoice.created_at is not None:
        gross, due = str(invoice.totals.gross), invoice.due_date.isoformat()
        add(
            invoice.created_at,
            0,
            HistoryEntry(
                at=invoice.created_at, kind="issued", summary=f"Issued, due {due}", amount=gross
            ),
        )
    for payment in invoice.payments:
        label, amount = payment.reference or payment.method.value, str(payment.amount)
        add(
            payment.received_at,
            1,
            HistoryEntry(
                at=payment.received_at,
                kind="payment",
                summary=f"Payment received ({label})",
                amount=amount,
            ),
        )
        if payment.reversed_at is not None:
            add(
                payment.reversed_at,
                2,
                HistoryEntry(
                    at=payment.reversed_at,
                    kind="payment_reversed",
                    summary=f"Payment reversed ({label})",
                    amount=amount,
                ),
            )
    for step in await uow.collection.steps(invoice.id):
        kind: Literal["overdue", "dunning"] = "overdue" if step.step == 0 else "dunning"
        summary = (
            f"Overdue ({step.days_past_due} days past due)"
            if step.step == 0
            else f"Dunning level {step.step}: {step.name} ({step.days_past_due} days past due)"
        )
        at = datetime.combine(step.reached_on, datetime.min.time(), UTC)
        add(at, 3 + step.step, HistoryEntry(at=step.reached_on, kind=kind, summary=summary))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return InvoiceHistory(
        invoice_id=invoice.id, number=invoice.number, entries=[entry for _, _, entry in entries]
    )
