"""Draft invoices: accounting prepares an invoice of chosen quantities of an order's lines,
changes it while it is a draft, then issues it (numbered then) or discards it.

The quantities are checked against what the order's policy allows when the draft is created,
changed and issued (`order_invoicing.chosen_quantities`): a draft reserves nothing, so an
invoice issued meanwhile (by the policy, or another draft) can make issuing it refused (409).
Every step records its event: `invoice.drafted`, `invoice.draft_updated`, `invoice.issued`,
`invoice.draft_discarded`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel

from billing.domain import invoicing_policy as policies
from billing.domain.drafts import DraftStatus, InvoiceDraft
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import Customer, Invoice, InvoiceLine
from billing.service_layer.events import SOURCE
from billing.service_layer.order_invoicing import (
    OrderInvoicingUnitOfWork,
    chosen_quantities,
    invoice_manually,
)
from contracts import EventType, new_event
from contracts import events as e
from servicekit.mapping import copied


@dataclass(frozen=True)
class DraftFilter:
    order_id: str | None = None
    status: DraftStatus | None = None


@dataclass(frozen=True)
class DraftPosition:
    created_at: datetime
    id: str


class InvoiceDraftRepository(Protocol):
    async def get(self, draft_id: str, *, for_update: bool = False) -> InvoiceDraft | None: ...

    async def add(self, draft: InvoiceDraft) -> None: ...

    async def save(self, draft: InvoiceDraft) -> None:
        """Store the draft's status, reason and lines (replacing the earlier ones)."""
        ...

    async def search(
        self, where: DraftFilter, *, limit: int, after: DraftPosition | None = None
    ) -> list[InvoiceDraft]:
        """Drafts newest first."""
        ...


class DraftsUnitOfWork(OrderInvoicingUnitOfWork, Protocol):
    @property
    def invoice_drafts(self) -> InvoiceDraftRepository: ...


class DraftUnknown(Exception):
    pass


Quantities = list[tuple[int, Decimal]]


async def _priced(
    uow: DraftsUnitOfWork,
    order_id: str,
    quantities: Quantities,
    default_policy: InvoicingPolicy,
) -> tuple[InvoiceDraft, list[InvoiceLine]]:
    """A new draft's header and the lines the quantities would be invoiced as now (checked)."""
    billable = await uow.billable_orders.lock(order_id)
    order, lines, invoiced, wanted = await chosen_quantities(
        uow, billable, quantities, default_policy=default_policy
    )
    priced = [
        copied(InvoiceLine, line)
        for line in policies.invoice_lines(lines, invoiced, wanted, currency=order.currency)
    ]
    header = InvoiceDraft(
        id=str(uuid.uuid4()),
        order_id=order.order_id,
        order_number=order.number,
        customer=copied(Customer, order.customer),
        currency=order.currency,
        lines=priced,
    )
    return header, priced


def _drafted(draft: InvoiceDraft) -> e.InvoiceDrafted:
    totals = draft.totals
    return e.InvoiceDrafted.model_validate(
        {
            "draft_id": draft.id,
            "order_id": draft.order_id,
            "order_number": draft.order_number,
            "customer": dataclasses.asdict(draft.customer),
            "currency": draft.currency,
            "lines": [dataclasses.asdict(line) for line in draft.lines],
            "totals": dataclasses.asdict(totals),
        }
    )


async def _record(
    uow: DraftsUnitOfWork,
    event_type: EventType,
    data: BaseModel,
    draft: InvoiceDraft,
    cid: str | None,
) -> None:
    await uow.record(
        new_event(event_type, data, source=SOURCE, subject=draft.order_id, correlation_id=cid)
    )


async def create_draft(
    uow: DraftsUnitOfWork,
    order_id: str,
    quantities: Quantities,
    *,
    default_policy: InvoicingPolicy,
    correlation_id: str | None = None,
) -> InvoiceDraft:
    """A draft invoice of the chosen quantities (never beyond what the policy allows: 409)."""
    draft, _ = await _priced(uow, order_id, quantities, default_policy)
    await uow.invoice_drafts.add(draft)
    await _record(uow, EventType.INVOICE_DRAFTED, _drafted(draft), draft, correlation_id)
    return draft


async def _open_draft(uow: DraftsUnitOfWork, draft_id: str) -> InvoiceDraft:
    """The draft, locked after its order (the order first, as every invoicing step locks)."""
    found = await uow.invoice_drafts.get(draft_id)
    if found is None:
        raise DraftUnknown(draft_id)
    await uow.billable_orders.lock(found.order_id)
    draft = await uow.invoice_drafts.get(draft_id, for_update=True)
    assert draft is not None  # drafts are never deleted
    return draft


async def get_draft(uow: DraftsUnitOfWork, draft_id: str) -> InvoiceDraft:
    found = await uow.invoice_drafts.get(draft_id)
    if found is None:
        raise DraftUnknown(draft_id)
    return found


async def change_draft(
    uow: DraftsUnitOfWork,
    draft_id: str,
    quantities: Quantities,
    *,
    default_policy: InvoicingPolicy,
    correlation_id: str | None = None,
    check: Callable[[InvoiceDraft], None] = lambda _draft: None,
) -> InvoiceDraft:
    """Replace the draft's quantities (409 once issued or discarded, or beyond what may be
    invoiced); `check` sees the locked draft first (a stale `If-Match` refuses there)."""
    draft = await _open_draft(uow, draft_id)
    check(draft)
    draft.change(draft.lines)  # refuses an issued or discarded draft before anything else
    _, priced = await _priced(uow, draft.order_id, quantities, default_policy)
    draft.change(priced)
    await uow.invoice_drafts.save(draft)
    await _record(uow, EventType.INVOICE_DRAFT_UPDATED, _drafted(draft), draft, correlation_id)
    return draft


async def issue_draft(
    uow: DraftsUnitOfWork,
    draft_id: str,
    *,
    today: date,
    default_policy: InvoicingPolicy,
    correlation_id: str | None = None,
) -> Invoice:
    """Issue the draft: the invoice of the same id, numbered now (409 when it was issued or
    discarded already, or when its quantities are no longer all invoiceable)."""
    draft = await _open_draft(uow, draft_id)
    draft.issued()
    invoice = await invoice_manually(
        uow,
        draft.order_id,
        [(line.line_no, line.quantity) for line in draft.lines],
        today=today,
        default_policy=default_policy,
        correlation_id=correlation_id,
        invoice_id=draft.id,
    )
    await uow.invoice_drafts.save(draft)
    return invoice


async def discard_draft(
    uow: DraftsUnitOfWork,
    draft_id: str,
    reason: str | None = None,
    *,
    correlation_id: str | None = None,
) -> InvoiceDraft:
    """Discard the draft for good (409 once issued or discarded)."""
    draft = await _open_draft(uow, draft_id)
    draft.discard(reason)
    await uow.invoice_drafts.save(draft)
    data = e.InvoiceDraftDiscarded(
        draft_id=draft.id, order_id=draft.order_id, order_number=draft.order_number, reason=reason
    )
    await _record(uow, EventType.INVOICE_DRAFT_DISCARDED, data, draft, correlation_id)
    return draft
