"""Purchase orders and delivery notes without a broker or a database: what they print (the
real renderer, read back), the vendor's e-mail, and the order snapshots kept forwards only."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from contracts import EventType, new_event
from contracts.common import StockLine
from contracts.events import PurchaseOrderLine, PurchaseOrderSent, ShipmentDispatched
from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
from documents.domain.model import DocumentKind
from documents.domain.templates import Look
from documents.service_layer import supply
from documents.service_layer.generation import Outcome, generate_document

D = Decimal


def sent_order(**changes: Any) -> PurchaseOrderSent:
    values: dict[str, Any] = {
        "purchase_order_id": "po-1",
        "number": "PO-2026-000007",
        "vendor_id": "v-1",
        "vendor_name": "Болт и Гайка",
        "vendor_email": "orders@bolt.example",
        "payment_terms_days": 30,
        "currency": "BHD",
        "warehouse": "MAIN",
        "lines": [
            PurchaseOrderLine(
                sku="BOLT", quantity=D(3), unit_price=D("0.3335"), description="Болт M8"
            )
        ],
        "total": D("1.001"),
    }
    return PurchaseOrderSent(**{**values, **changes})


def shipped(order_id: str, *lines: tuple[str, str]) -> ShipmentDispatched:
    return ShipmentDispatched(
        order_id=order_id,
        shipment_id="5f1c0a2e-0000-4000-8000-000000000001",
        lines=[StockLine(sku=sku, quantity=D(quantity)) for sku, quantity in lines],
        fully_shipped=False,
        carrier="GLS",
        warehouse="EAST",
    )


def text_of(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture(scope="module")
def render() -> Any:
    return build_renderer(DocumentsSettings(company_name="Example Ltd.")).render


def test_a_purchase_order_prints_the_vendor_lines_and_total_in_the_currency(render: Any) -> None:
    printable = supply.purchase_order(sent_order(), date(2026, 12, 1), None)
    assert printable.lines[0].net_amount == D("1.001")  # 3 x 0.3335, to BHD's 3 decimals
    text = text_of(render(printable))
    for expected in (
        "Purchase order",
        "PO-2026-000007",
        "VENDOR",
        "Болт и Гайка",
        "Болт M8",
        "0.3335",
        "Total (BHD) 1.001 BHD",
        "Payable within 30 days.",
        "Deliver to MAIN",
    ):
        assert expected in text, expected
    spanish = Look(language="es")
    assert "Pedido de compra" in text_of(
        render(supply.purchase_order(sent_order(), date(2026, 12, 1), spanish))
    )


def test_a_delivery_note_prints_the_shipped_lines_without_any_price(
    render: Any, order_builder: Any
) -> None:
    order = order_builder("o-1", "SO-2026-000042", line_count=3)
    note = supply.delivery_note(order, shipped("o-1", (order.lines[1].sku, "2")), None)
    assert note.number == "DN-SO-2026-000042-5f1c0a2e"
    text = text_of(render(note))
    assert order.lines[1].sku in text
    assert order.lines[0].sku not in text
    for expected in ("SO-2026-000042", "GLS", "Shipped from EAST", "SHIP TO", "Calle de Alcalá 42"):
        assert expected in text, expected
    for word in ("Unit price", "Total", "PAYMENT TERMS", f"{order.lines[1].unit_price:,f}"):
        assert word not in text, word


async def test_a_purchase_order_is_mailed_to_its_vendor_only_when_it_has_an_address(
    fake_uow: Any, fake_storage: Any, fake_renderer: Any
) -> None:
    sent = sent_order()
    event = new_event(EventType.PURCHASE_ORDER_SENT, sent, source="/inventory", subject="po-1")
    generated = await generate_document(
        fake_uow,
        supply.purchase_order(sent, date(2026, 12, 1), None),
        subject="po-1",
        cause=event,
        renderer=fake_renderer,
        storage=fake_storage,
    )
    assert generated.outcome is Outcome.CREATED
    document = generated.document
    assert (document.kind, document.purchase_order_id, document.order_id) == (
        DocumentKind.PURCHASE_ORDER,
        "po-1",
        None,
    )
    [announced] = fake_uow.events
    assert announced.type == EventType.PURCHASE_ORDER_DOCUMENT_GENERATED.value
    assert announced.subject == "po-1"

    email = await supply.mail_to_vendor(
        fake_uow, document, sent, requested_by="bob", correlation_id=None
    )
    assert email is not None
    assert (email.to, email.subject, email.subject_id) == (
        ["orders@bolt.example"],
        "Purchase order PO-2026-000007",
        "po-1",
    )
    no_address = sent.model_copy(update={"vendor_email": None})
    assert (
        await supply.mail_to_vendor(
            fake_uow, document, no_address, requested_by=None, correlation_id=None
        )
        is None
    )


async def test_order_snapshots_move_forwards_only_and_a_shipment_needs_its_order(
    fake_uow: Any, order_builder: Any
) -> None:
    order_id = str(uuid.uuid4())
    with pytest.raises(supply.OrderNotKnownYet):
        await supply.order_of_shipment(fake_uow, shipped(order_id, ("SKU-0001", "1")))
    first = order_builder(order_id, "SO-1", line_count=1)
    changed = order_builder(order_id, "SO-1", line_count=2)
    await supply.keep_order(fake_uow, changed, 5)
    await supply.keep_order(fake_uow, first, 3)  # stale: not applied
    kept = await supply.order_of_shipment(fake_uow, shipped(order_id, ("SKU-0001", "1")))
    assert len(kept.lines) == 2
