"""Notes and files on orders, quotes and customers through the HTTP API of a running service
(real Kafka and PostgreSQL): author and time, size limit (413), type checks (415), download."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.testing import bearer

ALICE = bearer("sales", subject="alice")
BOB = bearer("sales", subject="bob")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
LINE = {
    "sku": "SRV-1",
    "kind": "service",
    "description": "Work",
    "quantity": "1",
    "unit_price": "10.00",
    "tax_rate": "21",
}


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    return {"visibility": {"sales": "own"}, "file_max_bytes": 1024}


async def test_notes_and_files_on_an_order(orders_service: Any) -> None:
    client = orders_service.client
    customer = (
        await client.post("/customers", json={"name": "N", "email": "n@example.com"}, headers=ALICE)
    ).json()
    body = {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    order = (await client.post("/orders", json=body, headers=ALICE)).json()
    path = f"/orders/{order['id']}"

    note = await client.post(f"{path}/notes", json={"text": "Deliver on Friday"}, headers=ALICE)
    assert note.status_code == 201, note.text
    assert (note.json()["author"], note.json()["text"]) == ("alice", "Deliver on Friday")
    notes = (await client.get(f"{path}/notes", headers=ALICE)).json()["items"]
    assert [n["text"] for n in notes] == ["Deliver on Friday"]

    upload = await client.post(
        f"{path}/files",
        params={"filename": "../signed offer.pdf"},
        content=PDF,
        headers={**ALICE, "Content-Type": "application/pdf"},
    )
    assert upload.status_code == 201, upload.text
    stored = upload.json()
    assert (stored["filename"], stored["size"], stored["uploaded_by"]) == (
        "signed offer.pdf",
        len(PDF),
        "alice",
    )
    listed = (await client.get(f"{path}/files", headers=ALICE)).json()["items"]
    assert [f["id"] for f in listed] == [stored["id"]]
    download = await client.get(stored["download_path"], headers=ALICE)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="signed offer.pdf"' in download.headers["content-disposition"]

    too_large = await client.post(
        f"{path}/files",
        params={"filename": "big.pdf"},
        content=b"%PDF-" + b"0" * 2000,
        headers={**ALICE, "Content-Type": "application/pdf"},
    )
    assert too_large.status_code == 413
    assert too_large.json()["limit_bytes"] == 1024
    disguised = await client.post(
        f"{path}/files",
        params={"filename": "invoice.pdf"},
        content=b"MZ\x90\x00\x03\x00\x00\x00",
        headers={**ALICE, "Content-Type": "application/pdf"},
    )
    assert disguised.status_code == 415
    refused = await client.post(
        f"{path}/files",
        params={"filename": "tool.exe"},
        content=b"MZ\x90\x00",
        headers={**ALICE, "Content-Type": "application/x-msdownload"},
    )
    assert refused.status_code == 415
    assert len((await client.get(f"{path}/files", headers=ALICE)).json()["items"]) == 1

    # Another salesperson sees none of it.
    assert (await client.get(f"{path}/notes", headers=BOB)).status_code == 404
    assert (await client.get(stored["download_path"], headers=BOB)).status_code == 404

    timeline = (await client.get(f"{path}/timeline", headers=ALICE)).json()["items"]
    summaries = [e["summary"] for e in timeline]
    assert "Note: Deliver on Friday" in summaries
    assert f"File signed offer.pdf attached ({len(PDF)} bytes, application/pdf)" in summaries

    removed = await client.delete(f"{path}/files/{stored['id']}", headers=ALICE)
    assert removed.status_code == 204
    assert (await client.get(stored["download_path"], headers=ALICE)).status_code == 404


async def test_notes_on_quotes_and_customers(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Noted")
    quote = await orders_service.created(
        "/quotes", {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    )
    for path in (f"/quotes/{quote['id']}", f"/customers/{customer['id']}"):
        added = await client.post(f"{path}/notes", json={"text": "Call back in May"})
        assert added.status_code == 201, added.text
        listed = (await client.get(f"{path}/notes")).json()["items"]
        assert [(n["text"], n["author"]) for n in listed] == [("Call back in May", "test-admin")]
    empty = await client.post(f"/quotes/{quote['id']}/notes", json={"text": ""})
    assert empty.status_code == 422
