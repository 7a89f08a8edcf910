"""What other services publish about an order, as the orders tests feed it in: inventory's
shipments, billing's payments and documents' PDFs, with the details no test looks at filled in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from contracts.events import DocumentGenerated, PaymentReceived, ShipmentDispatched


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
        amount=Decimal(amount),
        currency="EUR",
        paid_total=Decimal(paid_total),
        balance=Decimal(balance),
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
