"""Purchase orders and delivery notes against real servers: Kafka, PostgreSQL and an SMTP server
(aiosmtpd) started by the test. A purchase order sent to its vendor is printed and e-mailed to
the vendor; a shipment gets its delivery note, with the order's descriptions and ship-to address
and no price."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from smtp_testing import documents_service, pdf_text, smtp_server

from contracts import EventType, new_event
from contracts.common import Address, StockLine
from contracts.events import PurchaseOrderLine, PurchaseOrderSent, ShipmentDispatched
from servicekit.testing import eventually, free_port, order_event

D = Decimal


def purchase_order_sent(po_id: str, number: str) -> PurchaseOrderSent:
    return PurchaseOrderSent(
        purchase_order_id=po_id,
        number=number,
        vendor_id="v-1",
        vendor_name="Tornillos Núñez S.L.",
        vendor_email="ventas@tornillos.example",
        vendor_contact="Marta Núñez",
        vendor_address=Address(
            line1="Calle Mayor 1", postal_code="28013", city="Madrid", country="ES"
        ),
        payment_terms_days=45,
        currency="EUR",
        warehouse="MAIN",
        expected_date=date(2026, 12, 20),
        lines=[
            PurchaseOrderLine(
                sku="BOLT-M8",
                quantity=D(100),
                unit_price=D("0.1234"),
                description="Bolt M8 x 40",
                vendor_sku="TN-0815",
            ),
            PurchaseOrderLine(
                sku="NUT-M8",
                quantity=D("2.5"),
                unit_price=D("3.10"),
                expected_date=date(2027, 1, 4),
                description="Nut M8, box",
            ),
        ],
        total=D("20.09"),
    )


async def test_a_sent_purchase_order_is_printed_and_emailed_to_its_vendor_once(
    start_service: Any, order_builder: Any
) -> None:
    port = free_port()
    po_id, number = str(uuid.uuid4()), f"PO-2026-{uuid.uuid4().int % 10**6:06d}"
    sent = purchase_order_sent(po_id, number)
    async with smtp_server(port) as mailbox, documents_service(start_service, port) as service:
        event = new_event(
            EventType.PURCHASE_ORDER_SENT, sent, source="/inventory", subject=po_id, actor="bob"
        )
        await service.publish("inventory.events", event, key=po_id)
        [document] = await eventually(lambda: service.documents(purchase_order_id=po_id), within=60)
        assert (document["kind"], document["reference"], document["order_id"]) == (
            "purchase_order",
            number,
            None,
        )
        assert document["filename"] == f"{number}.pdf"
        text = pdf_text(await service.content(document))
        for expected in (
            f"Purchase order {number}",
            "VENDOR",
            "Tornillos Núñez S.L.",
            "Calle Mayor 1",
            "2026-12-20",  # expected
            "MAIN",  # deliver to
            "Bolt M8 x 40",
            "Your code: TN-0815",
            "Expected 2027-01-04",  # a line's own date
            "0.1234",  # the purchase price, kept to its digits
            "12.34",  # 100 x 0.1234
            "7.75",  # 2.5 x 3.10
            "Total (EUR) 20.09 EUR",
            "Payable within 45 days.",
        ):
            assert expected in text, expected
        assert "Tax" not in text  # purchase prices print without tax

        async def received() -> Any:
            return mailbox.messages() or None

        [message] = await eventually(received, within=30)
        assert message["To"] == "ventas@tornillos.example"
        assert message["Subject"] == f"Purchase order {number}"
        body = message.get_body(("plain",))
        assert body is not None
        assert "Dear Marta Núñez" in body.get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == f"{number}.pdf"
        assert pdf_text(attachment.get_content()) == text

        [(key, announced)] = await eventually(
            lambda: service.events(EventType.PURCHASE_ORDER_DOCUMENT_GENERATED), within=30
        )
        assert key == po_id.encode()
        assert announced.data.purchase_order_id == po_id
        assert announced.causationid == event.id
        [(key, emailed)] = await eventually(
            lambda: service.events(EventType.DOCUMENT_EMAILED), within=30
        )
        assert (key, emailed.subject) == (po_id.encode(), po_id)
        assert (emailed.data.purchase_order_id, emailed.data.order_id) == (po_id, None)
        assert emailed.data.status.value == "sent"

        # The same fact again under a new event id: the same document, no second e-mail.
        again = new_event(EventType.PURCHASE_ORDER_SENT, sent, source="/inventory", subject=po_id)
        await service.publish("inventory.events", again, key=po_id)
        marker = str(uuid.uuid4())
        later = order_builder(marker, f"SO-{marker[:8]}", line_count=2)
        order = order_event(EventType.ORDER_CONFIRMED, later)
        await service.publish("orders.events", order, key=marker)
        await eventually(lambda: service.documents_of(marker), within=60)  # consumed past it
        assert len(await service.documents(purchase_order_id=po_id)) == 1
        emails = (
            await service.client.get("/emails", params={"document_id": document["id"]})
        ).json()
        assert len(emails["items"]) == 1
        assert len(mailbox.messages()) == 1


async def test_a_shipment_gets_a_delivery_note_with_lines_and_no_prices(
    start_service: Any, order_builder: Any
) -> None:
    order_id = str(uuid.uuid4())
    order = order_builder(order_id, f"SO-2026-{uuid.uuid4().int % 10**6:06d}", line_count=4)
    async with start_service() as service:
        await service.publish(
            "orders.events", order_event(EventType.ORDER_CONFIRMED, order), key=order_id
        )
        # As in the suite, the order is confirmed here before it ships (a shipment of an order
        # not confirmed here yet is retried, then dead-lettered for a replay).
        await eventually(lambda: service.documents_of(order_id), within=60)
        shipment_id = str(uuid.uuid4())
        shipped = ShipmentDispatched(
            order_id=order_id,
            shipment_id=shipment_id,
            lines=[
                StockLine(sku=order.lines[0].sku, quantity=D("1")),
                StockLine(sku=order.lines[2].sku, quantity=D("2.5")),
            ],
            fully_shipped=False,
            carrier="DHL",
            tracking_number="JD0146000012345",
            shipping_date=date(2026, 12, 2),
        )
        event = new_event(
            EventType.SHIPMENT_DISPATCHED, shipped, source="/inventory", subject=order_id
        )
        await service.publish("inventory.events", event, key=order_id)

        async def delivery_notes() -> list[dict[str, Any]]:
            return await service.documents(order_id=order_id, kind="delivery_note")

        [note] = await eventually(delivery_notes, within=60)
        assert note["reference"] == f"DN-{order.number}-{shipment_id[:8]}"
        text = pdf_text(await service.content(note))
        for expected in (
            "Delivery note",
            note["reference"],
            "2026-12-02",
            "DHL",
            "JD0146000012345",
            "SHIP TO",
            "Calle de Alcalá 42",
            order.lines[0].sku,
            order.lines[2].sku,
            "2.5",
            order.customer_reference,
        ):
            assert expected in text, expected
        assert order.lines[1].sku not in text  # not in this shipment
        for price_word in ("Unit price", "Net", "Total", "PAYMENT TERMS"):
            assert price_word not in text, price_word
        for line in order.lines:
            assert f"{line.unit_price:,f}" not in text
            assert f"{line.net_amount:,f}" not in text
        [(key, announced)] = await eventually(
            lambda: service.events(EventType.DELIVERY_NOTE_GENERATED), within=30
        )
        assert key == order_id.encode()
        assert (announced.data.shipment_id, announced.data.document_id) == (
            shipment_id,
            note["id"],
        )
