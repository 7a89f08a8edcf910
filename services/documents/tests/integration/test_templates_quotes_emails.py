"""Templates, quotations, e-mail and milestone notifications against real servers: Kafka,
PostgreSQL and an SMTP server (aiosmtpd) started by the test on a local port."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import logging
import random
import uuid
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from smtp_testing import SMTP_PASSWORD, SMTP_USER, documents_service, pdf_text, smtp_server

from contracts import CloudEvent, EventType, new_event
from contracts.events import DunningLevelReached, OrderMilestone, QuoteSent
from documents.entrypoints.exports_api import EMAIL_COLUMNS, TEMPLATE_COLUMNS
from servicekit.testing import (
    bearer,
    eventually,
    free_port,
    order_event,
)

SALES = bearer("sales", subject="alice")


def noise_png(side: int) -> bytes:
    """An incompressible PNG of side x side pixels (about 3 bytes per pixel)."""
    image = Image.frombytes("RGB", (side, side), random.Random(side).randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def confirmed(order: Any) -> CloudEvent[Any]:
    return order_event(EventType.ORDER_CONFIRMED, order)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_a_document_is_emailed_over_smtp_with_its_pdf_attached(
    start_service,
    order_builder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    login = {"smtp_username": SMTP_USER, "smtp_password": SMTP_PASSWORD}
    async with (
        smtp_server(port, login=True) as mailbox,
        documents_service(start_service, port, **login) as service,
    ):
        order_id = str(uuid.uuid4())
        await service.publish(
            "orders.events",
            confirmed(order_builder(order_id, "SO-2026-000001", line_count=3)),
            key=order_id,
        )
        [document] = await eventually(lambda: service.documents(order_id=order_id), within=30)
        path = f"/documents/{document['id']}/email"
        body = {
            "to": ["buyer@example.org"],
            "cc": ["boss@example.org"],
            "message": "Estimada Sra. Núñez:\nadjuntamos la confirmación.\n\n— Ventas",
        }

        viewer = await service.client.post(path, json=body, headers=bearer("viewer"))
        assert viewer.status_code == 403
        for bad in (
            {**body, "to": []},
            {**body, "to": ["a@b"]},
            {**body, "cc": ["x@y.org\r\nBcc: z@w.org"]},
        ):
            refused = await service.client.post(path, json=bad, headers=SALES)
            assert refused.status_code == 422, refused.text
        nul = await service.client.post(path, json={**body, "message": "a\x00b"}, headers=SALES)
        assert nul.status_code == 422  # PostgreSQL text cannot hold it: refused, not a 500
        assert (
            await service.client.get("/documents", params={"order_id": "\x00"})
        ).status_code == 422
        unknown = await service.client.post(
            f"/documents/{uuid.uuid4()}/email", json=body, headers=SALES
        )
        assert unknown.status_code == 404

        headers = {**SALES, "Idempotency-Key": "mail-1"}
        queued = await service.client.post(path, json=body, headers=headers)
        assert queued.status_code == 202, queued.text
        accepted = queued.json()
        assert accepted["status"] == "queued"
        assert accepted["subject"] == "Order confirmation SO-2026-000001"
        assert accepted["requested_by"] == "alice"
        repeated = await service.client.post(path, json=body, headers=headers)
        assert repeated.status_code == 202
        assert repeated.json()["id"] == accepted["id"]  # the same e-mail, not a second one

        async def sent() -> dict[str, Any] | None:
            found = await service.email(accepted["id"])
            return found if found["status"] == "sent" else None

        delivered = await eventually(sent, within=20)
        assert delivered["attempts"] == 1
        assert delivered["sent_at"]

        # The SMTP server received exactly one message, after a login, the stored PDF attached.
        assert mailbox.logins == [SMTP_USER]
        [envelope] = mailbox.envelopes
        assert envelope.mail_from == "documents@example.com"
        assert sorted(envelope.rcpt_tos) == ["boss@example.org", "buyer@example.org"]
        [message] = mailbox.messages()
        assert message["Subject"] == "Order confirmation SO-2026-000001"
        assert message["To"] == "buyer@example.org"
        assert message["Cc"] == "boss@example.org"
        assert message["Message-ID"] == f"<{accepted['id']}@example.com>"
        text = message.get_body(("plain",))
        assert text is not None
        assert "adjuntamos la confirmación" in text.get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == "SO-2026-000001.pdf"
        assert attachment.get_content() == await service.content(document)

        async def announced() -> list[tuple[bytes, CloudEvent[Any]]]:
            return await service.events(EventType.DOCUMENT_EMAILED)

        [(key, event)] = await eventually(announced, within=20)
        assert key == order_id.encode()
        assert event.subject == order_id
        assert event.actor == "alice"
        assert event.data.status == "sent"
        assert event.data.email_id == accepted["id"]
        assert event.data.document_id == document["id"]
        assert event.data.order_id == order_id
        assert event.data.to == ["buyer@example.org"]
        assert event.data.attempts == 1

        listed = await service.client.get("/emails", params={"document_id": document["id"]})
        assert [item["id"] for item in listed.json()["items"]] == [accepted["id"]]

    # The sender stopped with the runtime: no task of it is left behind.
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "documents-email-sender"]
    assert "e-mail sender started" in caplog.text
    assert SMTP_PASSWORD not in caplog.text  # the password is never logged


async def test_quotes_and_an_email_that_fails_until_the_server_is_up(
    start_service, order_builder
) -> None:
    port = free_port()  # nothing listens here yet: the SMTP server is "down"
    async with documents_service(start_service, port) as service:
        quote_id = str(uuid.uuid4())
        content = order_builder(quote_id, "QT-2026-000042", line_count=4)
        sent = QuoteSent(
            quote_id=quote_id,
            number="QT-2026-000042",
            valid_until=date(2026, 5, 31),
            content=content,
        )
        event = new_event(EventType.QUOTE_SENT, sent, source="/orders", subject=quote_id)
        await service.publish("orders.events", event, key=quote_id)

        # quote.sent -> a quotation PDF, stored, listed by quote and announced with its own event.
        [document] = await eventually(lambda: service.documents(quote_id=quote_id), within=30)
        assert document["kind"] == "quote"
        assert document["order_id"] is None
        assert document["quote_id"] == quote_id
        assert document["filename"] == "QT-2026-000042.pdf"
        assert await service.documents(kind="quote") == [document]
        pdf = await service.content(document)
        text = pdf_text(pdf)
        assert "Quotation" in text
        assert "QT-2026-000042" in text
        assert "This quotation is valid until 2026-05-31." in text

        async def quote_generated() -> list[tuple[bytes, CloudEvent[Any]]]:
            return await service.events(EventType.QUOTE_DOCUMENT_GENERATED)

        [(key, generated)] = await eventually(quote_generated, within=20)
        assert key == quote_id.encode()
        assert generated.subject == quote_id
        assert generated.causationid == event.id
        assert generated.data.quote_id == quote_id
        assert generated.data.document_id == document["id"]
        assert generated.data.sha256 == document["sha256"]
        assert await service.events(EventType.DOCUMENT_GENERATED) == []

        # The e-mail is tried, backs off, and ends failed with the error recorded.
        queued = await service.client.post(
            f"/documents/{document['id']}/email",
            json={"to": ["buyer@example.org"], "subject": "Your quotation", "message": "Hello"},
            headers=SALES,
        )
        assert queued.status_code == 202, queued.text
        email_id = queued.json()["id"]

        async def failed() -> dict[str, Any] | None:
            found = await service.email(email_id)
            return found if found["status"] == "failed" else None

        gave_up = await eventually(failed, within=30)
        assert gave_up["attempts"] == 3
        assert "connect" in gave_up["last_error"].lower()
        assert gave_up["next_attempt_at"] is None

        async def emailed(count: int) -> list[tuple[bytes, CloudEvent[Any]]] | None:
            found = await service.events(EventType.DOCUMENT_EMAILED)
            return found if len(found) >= count else None

        [(key, failure)] = await eventually(lambda: emailed(1), within=20)
        assert key == quote_id.encode()
        assert failure.data.status == "failed"
        assert failure.data.quote_id == quote_id
        assert failure.data.order_id is None
        assert failure.data.attempts == 3
        assert failure.data.error == gave_up["last_error"]
        not_sales = await service.client.post(f"/emails/{email_id}/retry", headers=bearer("viewer"))
        assert not_sales.status_code == 403

        # Once the server is up, a retry by hand delivers it.
        async with smtp_server(port) as mailbox:
            retried = await service.client.post(f"/emails/{email_id}/retry", headers=SALES)
            assert retried.status_code == 202, retried.text
            assert retried.json()["status"] == "queued"
            assert retried.json()["attempts"] == 0

            async def delivered() -> dict[str, Any] | None:
                found = await service.email(email_id)
                return found if found["status"] == "sent" else None

            await eventually(delivered, within=20)
            [message] = mailbox.messages()
            assert message["Subject"] == "Your quotation"
            [attachment] = list(message.iter_attachments())
            assert attachment.get_filename() == "QT-2026-000042.pdf"
            assert attachment.get_content() == pdf

        events = await eventually(lambda: emailed(2), within=20)
        assert [e.data.status for _, e in events] == ["failed", "sent"]
        again = await service.client.post(f"/emails/{email_id}/retry", headers=SALES)
        assert again.status_code == 409


async def test_templates_pick_the_language_and_letterhead_of_documents(
    start_service,
    order_builder,
    invoice_builder,
    png: bytes,
) -> None:
    async with documents_service(start_service, free_port()) as service:
        client = service.client  # an administrator
        spanish = {
            "name": "Iberia",
            "language": "es",
            "letterhead_image": base64.b64encode(png).decode(),
            "footer_text": "Registro Mercantil de Madrid, Tomo 1234",
            "primary_color": "#1f4e79",
            "accent_color": "#C0392B",
            "default_closing_text": "Un cordial saludo.",
            "company": {"name": "Ejemplo Iberia S.L."},
        }
        forbidden = await client.post("/templates", json=spanish, headers=SALES)
        assert forbidden.status_code == 403
        for field, value in (
            ("letterhead_image", base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()),
            ("language", "de"),
            ("primary_color", "blue"),
        ):
            refused = await client.post("/templates", json={**spanish, field: value})
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"].endswith(field)

        created = await client.post("/templates", json=spanish, headers={"Idempotency-Key": "t-1"})
        assert created.status_code == 201, created.text
        template = created.json()
        assert template["primary_color"] == "#1F4E79"
        assert template["letterhead"]["content_type"] == "image/png"
        assert template["is_default"] is False
        image = await client.get(template["letterhead"]["path"], headers=SALES)
        assert image.status_code == 200
        assert image.content == png
        assert image.headers["content-type"] == "image/png"

        # PUT replaces the content; without letterhead_image the image is kept.
        changed = {k: v for k, v in spanish.items() if k != "letterhead_image"}
        changed["footer_text"] = "Registro Mercantil de Madrid, Tomo 5678"
        updated = await client.put(f"/templates/{template['id']}", json=changed)
        assert updated.status_code == 200, updated.text
        assert updated.json()["letterhead"] == template["letterhead"]
        made_default = await client.post(f"/templates/{template['id']}/default")
        assert made_default.json()["is_default"] is True
        assert (await client.delete(f"/templates/{template['id']}")).status_code == 409
        # A photo-like image close to the 1 MiB limit fits in a request; a larger one is refused.
        large, too_large = noise_png(560), noise_png(600)
        assert 900_000 < len(large) < 1024 * 1024 < len(too_large)
        spare = {"name": "Spare", "language": "ru"}
        refused = await client.post(
            "/templates", json={**spare, "letterhead_image": base64.b64encode(too_large).decode()}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.letterhead_image"
        other = await client.post(
            "/templates", json={**spare, "letterhead_image": base64.b64encode(large).decode()}
        )
        assert other.status_code == 201, other.text
        assert other.json()["letterhead"]["size"] == len(large)
        assert (await client.delete(f"/templates/{other.json()['id']}")).status_code == 200
        assert (await client.get(f"/templates/{other.json()['id']}")).status_code == 404
        listed = await client.get("/templates", headers=bearer("viewer"))
        assert [t["name"] for t in listed.json()["items"]] == ["Iberia"]

        # An order naming the template, one naming an unknown template (-> the default), and
        # one naming none (-> the built-in look).
        chosen, unknown, plain = (str(uuid.uuid4()) for _ in range(3))
        for order_id, number, template_id in (
            (chosen, "SO-2026-000101", template["id"]),
            (unknown, "SO-2026-000102", str(uuid.uuid4())),
            (plain, "SO-2026-000103", None),
        ):
            order = order_builder(order_id, number, line_count=30).model_copy(
                update={"template_id": template_id, "closing_text": None}
            )
            await service.publish("orders.events", confirmed(order), key=order_id)
        # The invoice comes later (once the order is completed): its order's confirmation, and
        # the template it asked for, are known by then.
        await eventually(lambda: service.documents(order_id=chosen), within=30)
        issued = invoice_builder(chosen, "INV-2026-000101", "SO-2026-000101", line_count=2)
        invoice = new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=chosen)
        await service.publish("billing.events", invoice, key=chosen)

        async def all_documents() -> dict[str, dict[str, Any]] | None:
            found = {d["reference"]: d for d in await service.documents()}
            return found if len(found) == 4 else None

        documents = await eventually(all_documents, within=40)
        confirmation = documents["SO-2026-000101"]
        assert confirmation["language"] == "es"
        assert confirmation["template_id"] == template["id"]
        pdf = await service.content(confirmation)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) >= 2
        assert len(reader.pages[0].images) == 1  # the letterhead
        text = pdf_text(pdf)
        assert "Confirmación de pedido" in text
        assert "Order confirmation" not in text
        assert "Ejemplo Iberia S.L." in text
        assert f"Página {len(reader.pages)} de {len(reader.pages)}" in text
        assert text.count("Registro Mercantil de Madrid, Tomo 5678") == len(reader.pages)
        assert "Un cordial saludo." in text  # the template's default closing text

        invoice_text = pdf_text(await service.content(documents["INV-2026-000101"]))
        assert "Factura" in invoice_text  # printed in the template of its order
        assert documents["INV-2026-000101"]["language"] == "es"

        fallback = pdf_text(await service.content(documents["SO-2026-000102"]))
        assert "Confirmación de pedido" in fallback  # the default template

        built_in = await service.content(documents["SO-2026-000103"])
        assert "Order confirmation" in pdf_text(built_in)
        assert documents["SO-2026-000103"]["language"] is None
        assert len(PdfReader(io.BytesIO(built_in)).pages[0].images) == 0


async def test_a_dunning_level_reached_mails_the_invoice_again_with_the_level_text(
    start_service, invoice_builder
) -> None:
    port = free_port()
    async with smtp_server(port) as mailbox, documents_service(start_service, port) as service:
        issued = invoice_builder(
            str(uuid.uuid4()), "INV-2026-000042", "SO-2026-000042", line_count=3
        )
        await service.publish(
            "billing.events",
            new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=issued.order_id),
            key=issued.order_id,
        )
        [document] = await eventually(lambda: service.documents_of(issued.order_id), within=30)
        reminder = DunningLevelReached(
            invoice_id=issued.invoice_id,
            invoice_number=issued.number,
            order_id=issued.order_id,
            customer={"id": "c-1", "name": "Payer", "email": "ap@payer.example"},
            currency=issued.currency,
            due_date=issued.due_date,
            balance=issued.totals.gross,
            days_past_due=21,
            level=2,
            name="Second reminder",
            text="We have not yet received payment of the invoice below.",
            reached_on=date(2026, 2, 1),
        )
        event = new_event(
            EventType.DUNNING_LEVEL_REACHED, reminder, source="/billing", subject=issued.order_id
        )
        await service.publish("billing.events", event, key=issued.order_id)

        async def received() -> list[EmailMessage] | None:
            return mailbox.messages() or None

        [message] = await eventually(received, within=30)
        assert message["Subject"] == f"Second reminder: invoice {issued.number}"
        assert message["To"] == "ap@payer.example"
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert "We have not yet received payment" in text
        assert f"{issued.totals.gross} {issued.currency} open, 21 days past due" in text
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content() == await service.content(document)

        async def emailed() -> list[tuple[bytes, CloudEvent[Any]]] | None:
            return await service.events(EventType.DOCUMENT_EMAILED) or None

        [(key, announced)] = await eventually(emailed, within=20)
        assert (key, announced.data.status) == (issued.order_id.encode(), "sent")


def milestone(order_id: str, number: str, *, owner: str | None) -> OrderMilestone:
    return OrderMilestone(
        order_id=order_id, number=number, fulfilment="shipped", billing="none", owner=owner
    )


async def test_the_owner_is_e_mailed_once_unless_opted_out_and_the_outcome_announced(
    start_service,
) -> None:
    port = free_port()
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    async with smtp_server(port) as mailbox, documents_service(start_service, port) as service:
        settings = {"email": "alice@sales.example", "opted_out": ["paid"], "language": "es"}
        put = await service.client.put(
            "/me/notifications", json=settings, headers=bearer("sales", subject=alice)
        )
        assert put.status_code == 200, put.text
        got = await service.client.get("/me/notifications", headers=bearer("sales", subject=alice))
        assert got.json() == {
            **settings,
            "milestones": ["backordered", "shipped", "overdue", "paid"],
        }
        bad = await service.client.put(
            "/me/notifications",
            json={"email": "not an address", "opted_out": ["delivered"], "language": "de"},
            headers=bearer("sales", subject=bob),
        )
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {
            "body.email",
            "body.opted_out.0",
            "body.language",
        }
        too_long = await service.client.put(
            "/me/notifications",
            json={"email": f"{'a' * 60}@{'b' * 60}.{'c' * 60}.{'d' * 30}.example"},  # 221
            headers=bearer("sales", subject=bob),
        )
        assert too_long.status_code == 422, too_long.text

        order_id = str(uuid.uuid4())
        unheard = [  # no owner; an owner without an address; a milestone alice opted out of
            (EventType.ORDER_SHIPPED, milestone(str(uuid.uuid4()), "SO-2026-000070", owner=None)),
            (EventType.ORDER_SHIPPED, milestone(str(uuid.uuid4()), "SO-2026-000071", owner=bob)),
            (EventType.ORDER_PAID, milestone(str(uuid.uuid4()), "SO-2026-000073", owner=alice)),
        ]
        heard = (EventType.ORDER_SHIPPED, milestone(order_id, "SO-2026-000072", owner=alice))
        for event_type, payload in [*unheard, heard]:
            event = new_event(event_type, payload, source="/orders", subject=payload.order_id)
            for _ in range(2):  # delivered twice: the inbox lets it through once
                # One key for all: one partition, so the last is handled after the others.
                await service.publish("orders.events", event, key=order_id)

        async def emailed() -> list[tuple[bytes, CloudEvent[Any]]] | None:
            return await service.events(EventType.NOTIFICATION_EMAILED) or None

        [(key, announced)] = await eventually(emailed, within=30)
        assert key == order_id.encode()
        assert announced.data.status == "sent"
        assert announced.data.milestone == EventType.ORDER_SHIPPED
        assert announced.data.to == ["alice@sales.example"]

        [message] = mailbox.messages()  # nothing for the three before it
        assert message["To"] == "alice@sales.example"
        assert message["Subject"] == "El pedido SO-2026-000072 se ha enviado por completo"
        assert list(message.iter_attachments()) == []
        body = message.get_body(("plain",))
        assert body is not None
        assert "Todas las líneas del pedido SO-2026-000072 se han enviado." in body.get_content()


async def test_a_credit_note_is_rendered_listed_and_emailed_on_request(
    start_service, invoice_builder, credit_note_builder
) -> None:
    port = free_port()
    async with smtp_server(port) as mailbox, documents_service(start_service, port) as service:
        order_id = str(uuid.uuid4())
        issued = invoice_builder(order_id, "INV-2026-000007", "SO-2026-000007", line_count=3)
        note = credit_note_builder(issued, "CN-2026-000003", line_count=1, credit="2.00")
        for event_type, payload in (
            (EventType.INVOICE_ISSUED, issued),
            (EventType.CREDIT_NOTE_ISSUED, note),
            (EventType.CREDIT_NOTE_ISSUED, note),  # the same note again: one document
        ):
            event = new_event(event_type, payload, source="/billing", subject=order_id)
            await service.publish("billing.events", event, key=order_id)

        async def both() -> list[dict[str, Any]] | None:
            found = await service.documents(order_id=order_id)
            return found if len(found) == 2 else None

        await eventually(both, within=30)
        [document] = await service.documents(order_id=order_id, kind="credit_note")
        assert (document["reference"], document["filename"]) == (
            "CN-2026-000003",
            "CN-2026-000003.pdf",
        )
        text = pdf_text(await service.content(document))
        assert "Credit note CN-2026-000003" in text
        assert "Credits invoice INV-2026-000007" in text
        assert "Reason: Goods returned damaged / товар повреждён" in text
        assert "2.00 EUR is kept as credit in your favour." in text

        path = f"/documents/{document['id']}/email"
        body = {"to": ["buh@romashka.example"], "message": "Our credit note is attached."}
        queued = await service.client.post(path, json=body, headers=bearer("accounting"))
        assert queued.status_code == 202, queued.text
        assert queued.json()["subject"] == "Credit note CN-2026-000003"

        async def received() -> list[EmailMessage] | None:
            return mailbox.messages() or None

        [message] = await eventually(received, within=30)
        assert message["Subject"] == "Credit note CN-2026-000003"
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "CN-2026-000003.pdf"
        assert attachment.get_content() == await service.content(document)

        async def announced() -> list[tuple[bytes, CloudEvent[Any]]] | None:
            found = await service.events(EventType.DOCUMENT_GENERATED)
            return found if len(found) == 2 else None

        events = await eventually(announced, within=20)
        kinds = sorted((e.data.kind.value, e.data.reference) for _, e in events)
        assert kinds == [("credit_note", "CN-2026-000003"), ("invoice", "INV-2026-000007")]


async def test_emails_and_templates_export_with_the_filters_of_their_lists(
    start_service, order_builder
) -> None:
    async with documents_service(start_service, free_port()) as service:
        client = service.client  # an administrator

        async def rows(name: str, columns: tuple[str, ...], **params: str) -> list[dict[str, str]]:
            response = await client.get(f"/exports/{name}", params=params)
            assert response.status_code == 200, response.text
            assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
            reader = csv.DictReader(io.StringIO(response.text))
            assert tuple(reader.fieldnames or ()) == columns
            return list(reader)

        made = await client.post("/templates", json={"name": "=Nord", "language": "es"})
        assert made.status_code == 201, made.text
        [template] = await rows("templates.csv", TEMPLATE_COLUMNS)
        assert (template["id"], template["name"], template["language"]) == (
            made.json()["id"],
            "'=Nord",  # defused for spreadsheets
            "es",
        )
        assert (template["is_default"], template["letterhead_path"]) == (
            str(made.json()["is_default"]).lower(),
            "",
        )

        order_id = str(uuid.uuid4())
        event = confirmed(order_builder(order_id, "SO-2026-000321"))
        await service.publish("orders.events", event, key=order_id)
        [document] = await eventually(lambda: service.documents(order_id=order_id), within=30)
        body = {"to": ["buyer@example.org", "ap@example.org"], "message": "Attached."}
        queued = await client.post(f"/documents/{document['id']}/email", json=body, headers=SALES)
        assert queued.status_code == 202, queued.text
        [email] = await rows("emails.csv", EMAIL_COLUMNS, document_id=document["id"])
        assert {k: email[k] for k in ("id", "order_id", "to", "subject", "requested_by")} == {
            "id": queued.json()["id"],
            "order_id": order_id,
            "to": "buyer@example.org ap@example.org",
            "subject": "Order confirmation SO-2026-000321",
            "requested_by": "alice",
        }
        assert await rows("emails.csv", EMAIL_COLUMNS, document_id=str(uuid.uuid4())) == []
        for name in ("emails.csv", "templates.csv"):
            refused = await client.get(f"/exports/{name}", headers=bearer())
            assert refused.status_code == 403, name
