"""Notes and files on orders, quotes and customers (in-memory), and the file checks."""

from __future__ import annotations

from typing import Any

import pytest
from orders_builders import a_customer, an_order

from orders.domain.attachments import (
    DEFAULT_TYPES,
    RefusedType,
    Subject,
    check_file,
    media_type,
    safe_filename,
)
from orders.domain.ownership import Viewer, Visibility
from orders.service_layer import notes
from orders.service_layer.orders import OrderNotFound
from orders.service_layer.ownership import looking_as
from servicekit.auth import acting_as

PDF = b"%PDF-1.7\n" + b"0" * 100
ALLOWED = list(DEFAULT_TYPES)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("application/pdf", PDF),
        ("image/png", b"\x89PNG\r\n\x1a\n...."),
        ("text/plain", "Grüße".encode()),
        ("text/csv", b"a,b\n1,2\n"),
    ],
)
def test_allowed_files_pass(content_type: str, head: bytes) -> None:
    check_file(content_type, head, ALLOWED)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("application/x-msdownload", b"MZ\x90\x00"),  # not on the list
        ("application/pdf", b"MZ\x90\x00 not a pdf"),  # content not of the type declared
        ("image/jpeg", PDF),
        ("text/plain", b"\xff\xfe\x00\x00binary\x00\x00\x00\x00"),
        ("", b"anything"),
    ],
)
def test_refused_files(content_type: str, head: bytes) -> None:
    with pytest.raises(RefusedType):
        check_file(content_type, head, ALLOWED)


def test_names_and_types_are_cleaned() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename('C:\\Users\\a\\"offer".pdf') == "offer.pdf"
    assert safe_filename("\x00") == "file"
    assert media_type("Text/Plain; charset=utf-8") == "text/plain"
    assert media_type(None) == ""


async def test_notes_carry_author_and_time_on_the_timeline(uow: Any) -> None:
    order = await an_order(uow)
    uow.actor = "alice"
    note = await notes.add_note(uow, Subject.ORDER, order.id, "Customer called: deliver Friday")
    assert (note.actor, note.data["text"]) == ("alice", "Customer called: deliver Friday")
    uow.actor = "bob"
    await notes.add_note(uow, Subject.ORDER, order.id, "Confirmed by phone")
    listed = await notes.list_notes(uow, Subject.ORDER, order.id)
    assert [(n.actor, n.data["text"]) for n in listed] == [
        ("alice", "Customer called: deliver Friday"),
        ("bob", "Confirmed by phone"),
    ]
    timeline = [e.summary for e in await uow.timeline(order.id)]
    assert "Note: Confirmed by phone" in timeline


async def test_files_are_stored_listed_read_and_removed(uow: Any) -> None:
    customer = await a_customer(uow)
    with acting_as("alice"):  # the uploader is the person behind the request
        stored = await notes.attach_file(
            uow,
            Subject.CUSTOMER,
            customer.id,
            filename="contract.pdf",
            content_type="application/pdf",
            content=PDF,
            allowed_types=ALLOWED,
        )
    assert (stored.size, stored.uploaded_by) == (len(PDF), "alice")
    assert await notes.list_files(uow, Subject.CUSTOMER, customer.id) == [stored]
    assert await notes.get_file(uow, Subject.CUSTOMER, customer.id, stored.id) == (stored, PDF)
    order = await an_order(uow, customer=customer)
    with pytest.raises(notes.FileNotFound):  # not the order's file
        await notes.get_file(uow, Subject.ORDER, order.id, stored.id)
    with pytest.raises(RefusedType):
        await notes.attach_file(
            uow,
            Subject.ORDER,
            order.id,
            filename="x.exe",
            content_type="application/pdf",
            content=b"MZ",
            allowed_types=ALLOWED,
        )
    await notes.remove_file(uow, Subject.CUSTOMER, customer.id, stored.id)
    assert await notes.list_files(uow, Subject.CUSTOMER, customer.id) == []
    summaries = [e.summary for e in await uow.timeline(customer_id=customer.id)]
    assert summaries == [
        f"File contract.pdf attached ({len(PDF)} bytes, application/pdf)",
        "File contract.pdf removed",
    ]


async def test_notes_and_files_of_an_unseen_order_are_unknown(uow: Any) -> None:
    with looking_as(Viewer("alice", None, Visibility.OWN)):
        order = await an_order(uow)
    with looking_as(Viewer("bob", None, Visibility.OWN)):
        with pytest.raises(OrderNotFound):
            await notes.add_note(uow, Subject.ORDER, order.id, "hello")
        with pytest.raises(OrderNotFound):
            await notes.list_files(uow, Subject.ORDER, order.id)
