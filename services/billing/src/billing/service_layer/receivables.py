"""Receivables: what customers owe as of a date, aged, and a customer's statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from billing.domain.receivables import Ageing, Entry, OpenItem, Statement, statements
from billing.service_layer.customer_owners import CustomerOwnersUnitOfWork
from billing.service_layer.customer_payments import PaymentsUnitOfWork
from servicekit.visibility import EVERYONE, Viewer


@dataclass(frozen=True)
class ReceivablesFilter:
    customer_id: str | None = None
    currency: str | None = None
    viewer: Viewer = EVERYONE  # only the customers the viewer may see


class ReceivablesView(Protocol):
    async def ageing(
        self,
        as_of: date,
        where: ReceivablesFilter,
        *,
        limit: int,
        after: tuple[str, str] | None = None,
    ) -> list[Ageing]:
        """Open amounts per customer and currency on `as_of`, bucketed by days past due,
        ordered by customer id and currency (keyset `after`)."""
        ...

    async def ageing_with_totals(
        self,
        as_of: date,
        where: ReceivablesFilter,
        *,
        limit: int,
        after: tuple[str, str] | None = None,
    ) -> tuple[list[Ageing], list[Ageing]]:
        """The page `ageing` gives, and the same sums over every customer, per currency (the
        keyset `after` does not narrow them)."""
        ...

    async def open_items(self, as_of: date, where: ReceivablesFilter) -> list[OpenItem]:
        """The invoices owing something on `as_of`, by currency and due date."""
        ...

    async def entries(self, customer_id: str, until: date) -> list[Entry]:
        """Every movement on the customer's account up to `until`."""
        ...

    async def customer_name(self, customer_id: str) -> str | None:
        """The customer's name on their latest invoice (None: never invoiced)."""
        ...


class ReceivablesUnitOfWork(PaymentsUnitOfWork, CustomerOwnersUnitOfWork, Protocol):
    @property
    def receivables(self) -> ReceivablesView: ...


@dataclass(frozen=True)
class CustomerStatement:
    customer_id: str
    start: date
    end: date
    accounts: list[Statement]
    open_items: list[OpenItem]
    credit: dict[str, Decimal]


async def customer_statement(
    uow: ReceivablesUnitOfWork, customer_id: str, start: date, end: date
) -> CustomerStatement:
    """The customer's account per currency from `start` to `end`: the opening balance, every
    invoice, payment, reversal and refund with the running balance, the invoices open on `end`
    and the credit they have now."""
    entries = await uow.receivables.entries(customer_id, end)
    return CustomerStatement(
        customer_id=customer_id,
        start=start,
        end=end,
        accounts=statements(entries, start),
        open_items=await uow.receivables.open_items(end, ReceivablesFilter(customer_id)),
        credit=await uow.payments.credit(customer_id),
    )
