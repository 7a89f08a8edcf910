"""Test data the orders tests share: a customer and a draft order made through the use cases,
and what other services publish about an order (inventory's shipments, billing's payments,
documents' PDFs), with the details no test looks at filled in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

from contracts.events import DocumentGenerated, PaymentReceived, ShipmentDispatched
from orders.domain.content import LineInput, LineKind
from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.service_layer import customers, orders
from orders.service_layer.unit_of_work import UnitOfWork


async def a_customer(uow: UnitOfWork, **fields: Any) -> Customer:
    """Acme, buyer@example.com, unless `fields` say otherwise (addresses, name, e-mail)."""
    given = {"name": "Acme", "email": "buyer@example.com"} | fields
    return await customers.create_customer(uow, customers.NewCustomer(**given))


def lines(*kinds: str) -> list[LineInput]:
    """One line per kind (a product if none is given): SKU-0, SKU-1, ..., 2 × 10.00 at 21 % tax."""
    return [
        LineInput(f"SKU-{i}", LineKind(kind), f"Item {i}", D("2"), D("10.00"), D("21"))
        for i, kind in enumerate(kinds or ("product",))
    ]


async def an_order(
    uow: UnitOfWork, *kinds: str, customer: Customer | None = None, **fields: Any
) -> Order:
    """A draft in EUR of `lines(*kinds)` for `customer` (a new Acme if none), correlation corr-1."""
    buyer = customer or await a_customer(uow)
    new = orders.NewOrder(customer_id=buyer.id, currency="EUR", lines=lines(*kinds), **fields)
    return await orders.create_order(uow, new, correlation_id="corr-1")


def shipment_dispatched(
    order_id: str, shipment_id: str, lines: Iterable[tuple[str, str]], *, fully: bool
) -> ShipmentDispatched:
    """A shipment of `(sku, quantity)` lines; `fully`: the order has now shipped everything."""
    return ShipmentDispatched(
        order_id=order_id,
        shipment_id=shipment_id,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        fully_shipped=fully,
    )


def payment_received(
    order_id: str,
    amount: str,
    *,
    paid_total: str,
    balance: str,
    status: str,
    payment_id: str = "p-1",
) -> PaymentReceived:
    """A payment in EUR of the order's invoice INV-2026-000001, received now."""
    return PaymentReceived(
        payment_id=payment_id,
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order_id,
        amount=D(amount),
        currency="EUR",
        paid_total=D(paid_total),
        balance=D(balance),
        status=status,
        received_at=datetime.now(UTC),
    )


def document_generated(
    order_id: str, reference: str, *, kind: str = "invoice", document_id: str = "doc-1"
) -> DocumentGenerated:
    """The order's PDF showing `reference` (an invoice's or the order's number)."""
    return DocumentGenerated(
        document_id=document_id,
        order_id=order_id,
        kind=kind,
        reference=reference,
        filename=f"{reference}.pdf",
        size=2048,
        sha256="a" * 64,
        download_path=f"/documents/{document_id}/content",
    )
