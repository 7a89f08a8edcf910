"""Event handlers: what billing does when another service tells it something.

The invoicing policy an order has not been given its own is the service's default
(`BILLING_INVOICING_POLICY`); the handlers are built with it (`Handlers(settings)`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.credit_notes import CreditRefused, InvalidCredit
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import Invoice, UninvoiceableOrder
from billing.service_layer import credit_notes, customer_owners, order_invoicing
from contracts import CloudEvent
from contracts.common import OrderSnapshot
from contracts.events import (
    CustomerChanged,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderCreated,
    ReturnReceived,
    ShipmentDispatched,
)
from servicekit.consumer import PermanentError


@asynccontextmanager
async def _refusing(order_id: str, number: str | None = None) -> AsyncIterator[None]:
    """An order whose amounts do not add up goes to the dead-letter topic with the reason."""
    try:
        yield
    except UninvoiceableOrder as exc:
        name = f"{order_id} ({number})" if number else order_id
        raise PermanentError(f"order {name} cannot be invoiced: {exc}") from exc


class OrderUseCase(Protocol):
    def __call__(
        self,
        uow: order_invoicing.OrderInvoicingUnitOfWork,
        cause: CloudEvent[Any],
        order: OrderSnapshot,
        *,
        today: date,
        default_policy: InvoicingPolicy,
    ) -> Awaitable[Invoice | None]: ...


@dataclass(frozen=True)
class Handlers:
    default_policy: InvoicingPolicy = InvoicingPolicy.ON_COMPLETION

    async def order_completed(
        self, event: CloudEvent[OrderCompleted], session: AsyncSession
    ) -> None:
        """A completed order gets an invoice for what is not invoiced yet (per its policy),
        dated today (UTC); a second delivery changes nothing."""
        await self._about_order(order_invoicing.order_completed, event, session)

    async def order_created(self, event: CloudEvent[OrderCreated], session: AsyncSession) -> None:
        """Keep the draft's snapshot."""
        await self._about_order(
            partial(order_invoicing.order_known, status="draft"), event, session
        )

    async def order_confirmed(
        self, event: CloudEvent[OrderConfirmed], session: AsyncSession
    ) -> None:
        """Keep the open order's snapshot (and, on delivery, invoice what shipped before)."""
        await self._about_order(partial(order_invoicing.order_known, status="open"), event, session)

    async def customer_changed(
        self, event: CloudEvent[CustomerChanged], session: AsyncSession
    ) -> None:
        """Keep who owns the customer (what salespeople may read of receivables)."""
        await customer_owners.customer_changed(SqlUnitOfWork(session), event)

    async def order_cancelled(
        self, event: CloudEvent[OrderCancelled], session: AsyncSession
    ) -> None:
        """A cancelled order gets no more recurring invoices."""
        await order_invoicing.order_cancelled(SqlUnitOfWork(session), event.data.order_id)

    async def _about_order(
        self, use_case: OrderUseCase, event: CloudEvent[Any], session: AsyncSession
    ) -> None:
        order: OrderSnapshot = event.data.order
        async with _refusing(order.order_id, order.number):
            await use_case(
                SqlUnitOfWork(session),
                event,
                order,
                today=_today(),
                default_policy=self.default_policy,
            )

    async def shipment_dispatched(
        self, event: CloudEvent[ShipmentDispatched], session: AsyncSession
    ) -> None:
        """Record the shipped quantities; on delivery, invoice them."""
        async with _refusing(event.data.order_id):
            await order_invoicing.shipment_dispatched(
                SqlUnitOfWork(session), event, today=_today(), default_policy=self.default_policy
            )

    async def return_received(
        self, event: CloudEvent[ReturnReceived], session: AsyncSession
    ) -> None:
        """Credit the returned lines at their invoiced prices (one credit note per return and
        invoice); a return that cannot be credited goes to the dead-letter topic."""
        try:
            await credit_notes.return_received(SqlUnitOfWork(session), event, today=_today())
        except (CreditRefused, InvalidCredit) as exc:
            raise PermanentError(
                f"return {event.data.number} of order {event.data.order_id} cannot be "
                f"credited: {exc}"
            ) from exc


def _today() -> date:
    return datetime.now(UTC).date()
