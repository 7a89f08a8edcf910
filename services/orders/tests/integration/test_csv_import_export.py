"""CSV import and export on a running service: dry run, all or nothing, idempotent, round trip."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

from servicekit.testing import bearer, eventually

CSV = {"content-type": "text/csv"}
HEADER = (
    "external_reference;name;email;billing_line1;billing_postal_code;billing_city;billing_country"
)


def customers_file(marker: str, count: int, bad: dict[int, str] | None = None) -> bytes:
    """`count` customer rows (semicolon-separated); `bad` replaces some rows (by index)."""
    lines = [HEADER]
    for i in range(count):
        row = (
            f"{marker}-{i:04d};Kunde {marker} {i} GmbH;k{i}@{marker}.example.com;"
            f"Hauptstraße {i};{10000 + i};Berlin;DE"
        )
        lines.append((bad or {}).get(i, row))
    return ("\n".join(lines) + "\n").encode()


async def exported(orders_service: Any, path: str, **params: str) -> list[dict[str, str]]:
    response = await orders_service.client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_a_dry_run_reports_every_bad_row_and_a_fixed_file_imports_once(
    orders_service: Any,
) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    bad = {
        10: f"{marker}-0010;Kunde 10;not-an-email;Weg 1;10010;Berlin;DE",
        500: f"{marker}-0500;;k500@x.example.com;Weg 1;10500;Berlin;Germany",
        999: f"{marker}-0001;Doppelt;k999@x.example.com;Weg 1;10999;Berlin;DE",
    }
    broken = customers_file(marker, 1000, bad)

    dry = await client.post("/imports/customers?dry_run=true", content=broken, headers=CSV)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dry_run"], report["rows"], report["created"]) == (True, 1000, 0)
    errors = {(e["line"], e["column"]) for e in report["errors"]}
    # Line numbers count the header: row index i is on line i + 2.
    assert errors == {
        (12, "email"),
        (502, "name"),
        (502, "billing_country"),
        (1001, "external_reference"),
    }
    assert await exported(orders_service, "/exports/customers.csv", q=marker) == []

    real = await client.post("/imports/customers", content=broken, headers=CSV)
    assert real.status_code == 422, real.text
    assert real.headers["content-type"] == "application/problem+json"
    assert real.json()["report"]["errors"] == report["errors"]  # the dry run's report
    assert await exported(orders_service, "/exports/customers.csv", q=marker) == []

    fixed = customers_file(marker, 1000)
    would = await client.post("/imports/customers?dry_run=true", content=fixed, headers=CSV)
    assert (would.json()["created"], would.json()["errors"]) == (1000, [])
    assert await exported(orders_service, "/exports/customers.csv", q=marker) == []

    done = await client.post("/imports/customers", content=fixed, headers=CSV)
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["existing"]) == (1000, 0)
    assert len(await exported(orders_service, "/exports/customers.csv", q=marker)) == 1000

    again = await client.post("/imports/customers", content=fixed, headers=CSV)
    assert (again.json()["created"], again.json()["existing"]) == (0, 1000)
    assert len(await exported(orders_service, "/exports/customers.csv", q=marker)) == 1000


async def test_an_export_reimported_equals_the_original(orders_service: Any) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    original = customers_file(marker, 25)
    assert (await client.post("/imports/customers", content=original, headers=CSV)).is_success
    # One created over the API has no reference of its own: its id stands in for it.
    by_api = await orders_service.new_customer(f"=Formel {marker} AG")

    rows = await exported(orders_service, "/exports/customers.csv", q=marker)
    assert len(rows) == 26
    wanted = {
        r["external_reference"]: r
        for r in csv.DictReader(io.StringIO(original.decode()), delimiter=";")
    }
    for row in rows:
        if row["external_reference"] == by_api["id"]:
            assert row["name"] == f"'=Formel {marker} AG"  # defused for spreadsheets
            continue
        source = wanted[row["external_reference"]]
        assert {k: row[k] for k in source} == source

    response = await client.get("/exports/customers.csv", params={"q": marker})
    reimport = await client.post("/imports/customers", content=response.content, headers=CSV)
    assert reimport.status_code == 200, reimport.text
    assert (reimport.json()["created"], reimport.json()["existing"]) == (0, 26)
    assert await exported(orders_service, "/exports/customers.csv", q=marker) == rows


async def test_files_that_cannot_be_imported_are_refused_with_the_reason(
    orders_service: Any,
) -> None:
    client = orders_service.client
    latin1 = "external_reference,name,email\nA,Müller,m@x.example.com\n".encode("latin-1")
    cases = [
        (latin1, "not UTF-8"),
        (b"external_reference,name\nA,b\n", "missing required columns: email"),
        (customers_file("big", 10_001), "more than 10,000 rows"),
    ]
    for body, reason in cases:
        response = await client.post("/imports/customers", content=body, headers=CSV)
        assert response.status_code == 422, response.text
        assert reason in response.json()["detail"]


async def test_orders_export_with_the_list_filters(orders_service: Any) -> None:
    customer = await orders_service.new_customer("Export AG")
    body = {
        "customer_id": customer["id"],
        "currency": "EUR",
        "lines": [
            {
                "sku": "BOLT-10",
                "kind": "product",
                "description": "Bolts",
                "quantity": "4",
                "unit_price": "2.50",
                "tax_rate": "21",
            }
        ],
    }
    first = await orders_service.created("/orders", body)
    second = await orders_service.created("/orders", {**body, "customer_reference": "PO-9"})

    rows = await exported(
        orders_service, "/exports/orders.csv", customer_id=customer["id"], direction="asc"
    )
    assert [r["number"] for r in rows] == [first["number"], second["number"]]
    assert rows[1]["customer_reference"] == "PO-9"
    assert (rows[0]["status"], rows[0]["gross_total"], rows[0]["currency"]) == (
        "draft",
        "12.10",
        "EUR",
    )
    only = await exported(
        orders_service, "/exports/orders.csv", q="PO-9", customer_id=customer["id"]
    )
    assert [r["id"] for r in only] == [second["id"]]


async def test_a_file_is_imported_in_the_background_with_progress_and_report(
    orders_service: Any,
) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]

    async def finished(job_id: str) -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(f"/imports/{job_id}")).json()
        return job if job["finished_at"] else None

    bad = customers_file(marker, 300, {7: f"{marker}-0007;Kunde;kaputt;Weg;1;Berlin;DE"})
    refused = await client.post("/imports/customers?background=true", content=bad, headers=CSV)
    assert refused.status_code == 202, refused.text
    job = await eventually(lambda: finished(refused.json()["id"]))
    assert (job["status"], job["processed_rows"]) == ("failed", 0)
    assert [(e["line"], e["column"]) for e in job["report"]["errors"]] == [(9, "email")]
    assert await exported(orders_service, "/exports/customers.csv", q=marker) == []

    queued = await client.post(
        "/imports/customers?background=true", content=customers_file(marker, 1200), headers=CSV
    )
    assert queued.status_code == 202, queued.text
    assert queued.headers["location"] == f"/imports/{queued.json()['id']}"
    assert (queued.json()["total_rows"], queued.json()["dry_run"]) == (1200, False)
    job = await eventually(lambda: finished(queued.json()["id"]), within=120)
    assert (job["status"], job["processed_rows"]) == ("succeeded", 1200)
    assert (job["report"]["created"], job["report"]["errors"]) == (1200, [])
    assert len(await exported(orders_service, "/exports/customers.csv", q=marker)) == 1200


ORDERS_HEADER = (
    "external_reference,customer,currency,order_date,customer_reference,"
    "sku,line_description,quantity,unit_price,tax_rate"
)


async def test_orders_import_one_row_per_line_dry_run_then_once(orders_service: Any) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    customers = customers_file(marker, 2)
    assert (await client.post("/imports/customers", content=customers, headers=CSV)).is_success
    by_id = await orders_service.new_customer(f"Direkt {marker}")

    def orders_file(*broken: str) -> bytes:
        rows = [
            ORDERS_HEADER,
            f"{marker}-A,{marker}-0000,EUR,2026-03-01,PO-1,BOLT-10,Bolts,10,2.50,21",
            f"{marker}-A,{marker}-0000,EUR,2026-03-01,PO-1,NUT-4,Nuts,4,1.25,21",
            f"{marker}-B,{by_id['id']},EUR,,,INSTALL,Installation,1,80.00,10",
            f"{marker}-A,,,,,WASHER,Washers,100,0.05,21",
            *broken,
        ]
        return ("\n".join(rows) + "\n").encode()

    bad = orders_file(
        f"{marker}-C,nobody,EUR,,,BOLT-10,Bolts,1,2.50,21",
        f"{marker}-D,{marker}-0001,EUR,,,BOLT-10,Bolts,zero,2.50,21",
        f"{marker}-D,{marker}-0001,USD,,,NUT-4,Nuts,1,1.25,21",
    )
    dry = await client.post("/imports/orders?dry_run=true", content=bad, headers=CSV)
    assert dry.status_code == 200, dry.text
    assert [(e["line"], e["column"]) for e in dry.json()["errors"]] == [
        (6, "customer"),
        (7, "quantity"),
        (8, "currency"),
    ]
    real = await client.post("/imports/orders", content=bad, headers=CSV)
    assert real.status_code == 422

    async def imported() -> list[dict[str, Any]]:
        response = await client.get("/orders", params={"external_reference": f"{marker}-A"})
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    assert await imported() == []

    async def next_number() -> int:
        line = {
            "sku": "BOLT-10",
            "kind": "product",
            "quantity": "1",
            "unit_price": "2.50",
            "tax_rate": "21",
        }
        body = {"customer_id": by_id["id"], "currency": "EUR", "lines": [line]}
        return int((await orders_service.created("/orders", body))["number"].rsplit("-", 1)[1])

    good = orders_file()
    before = await next_number()
    would = await client.post("/imports/orders?dry_run=true", content=good, headers=CSV)
    assert (would.json()["created"], would.json()["errors"]) == (2, [])
    assert await imported() == []
    assert await next_number() == before + 1  # the dry run took no order number

    done = await client.post("/imports/orders", content=good, headers=CSV)
    assert done.status_code == 200, done.text
    assert (done.json()["rows"], done.json()["created"], done.json()["existing"]) == (4, 2, 0)
    [order] = await imported()
    assert [line["sku"] for line in order["lines"]] == ["BOLT-10", "NUT-4", "WASHER"]
    assert (order["status"], order["order_date"], order["customer_reference"]) == (
        "draft",
        "2026-03-01",
        "PO-1",
    )
    assert order["totals"]["net"] == "35.00"

    again = await client.post("/imports/orders", content=good, headers=CSV)
    assert (again.json()["created"], again.json()["existing"]) == (0, 2)
    assert len(await imported()) == 1


async def test_contacts_import_names_customers_by_reference_or_id(orders_service: Any) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    customers = customers_file(marker, 1)
    assert (await client.post("/imports/customers", content=customers, headers=CSV)).is_success
    by_id = await orders_service.new_customer(f"Kontakt {marker}")
    rows = [
        "external_reference\tcustomer\tname\temail\tphone\tposition",
        f"{marker}-c1\t{marker}-0000\tAnna Schmidt\tanna@example.com\t+49 30 123\tEinkauf",
        f"{marker}-c2\t{by_id['id']}\tBen Weber\t\t\t",
    ]
    good = ("\n".join(rows) + "\n").encode()
    bad = ("\n".join([*rows, f"{marker}-c3\tnobody\tCarla\tnot-mail\t\t"]) + "\n").encode()

    dry = await client.post("/imports/contacts?dry_run=true", content=bad, headers=CSV)
    assert [(e["line"], e["column"]) for e in dry.json()["errors"]] == [
        (4, "email"),
    ]
    real = await client.post("/imports/contacts", content=bad, headers=CSV)
    assert real.status_code == 422
    nobody = ("\n".join([*rows, f"{marker}-c3\tnobody\tCarla\t\t\t"]) + "\n").encode()
    unknown = await client.post("/imports/contacts?dry_run=true", content=nobody, headers=CSV)
    assert [(e["line"], e["column"]) for e in unknown.json()["errors"]] == [(4, "customer")]

    done = await client.post("/imports/contacts", content=good, headers=CSV)
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["existing"]) == (2, 0)
    again = await client.post("/imports/contacts", content=good, headers=CSV)
    assert (again.json()["created"], again.json()["existing"]) == (0, 2)
    contacts = (await client.get(f"/customers/{by_id['id']}/contacts")).json()["items"]
    assert [(c["name"], c["email"]) for c in contacts] == [("Ben Weber", None)]


async def test_contacts_export_with_the_customer_filters_imports_back(orders_service: Any) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    first = await orders_service.new_customer(f"Export {marker} Eins")
    other = await orders_service.new_customer(f"Anders {marker}")
    for customer, name in ((first, "=Zoe Admin"), (first, "Ann Buyer"), (other, "Olga")):
        path = f"/customers/{customer['id']}/contacts"
        body = {"name": name, "email": f"{name[-5:].strip().lower()}@example.com"}
        assert (await client.post(path, json=body)).status_code == 201

    rows = await exported(orders_service, "/exports/contacts.csv", q=f"Export {marker}")
    assert [(r["customer"], r["name"]) for r in rows] == [
        (first["id"], "'=Zoe Admin"),  # defused for spreadsheets, restored on import
        (first["id"], "Ann Buyer"),
    ]
    assert rows[1]["email"] == "buyer@example.com"
    every = await client.get("/exports/contacts.csv", params={"q": marker})
    assert every.headers["content-disposition"] == 'attachment; filename="contacts.csv"'
    again = await client.post("/imports/contacts", content=every.content, headers=CSV)
    assert (again.json()["created"], again.json()["existing"], again.json()["errors"]) == (
        0,
        3,
        [],
    )
    refused = await client.get("/exports/contacts.csv", headers=bearer())
    assert refused.status_code == 403


async def test_quotes_export_with_the_list_filters(orders_service: Any) -> None:
    customer = await orders_service.new_customer("Angebot AG")
    body = {
        "customer_id": customer["id"],
        "currency": "EUR",
        "lines": [
            {
                "sku": "INSTALL",
                "kind": "service",
                "description": "Installation",
                "quantity": "2",
                "unit_price": "50.00",
                "tax_rate": "10",
            }
        ],
    }
    first = await orders_service.created("/quotes", body)
    second = await orders_service.created("/quotes", {**body, "customer_reference": "RFQ-7"})

    rows = await exported(orders_service, "/exports/quotes.csv", customer_id=customer["id"])
    assert [r["number"] for r in rows] == [second["number"], first["number"]]  # newest first
    assert (rows[0]["status"], rows[0]["gross_total"], rows[0]["customer_reference"]) == (
        "draft",
        "110.00",
        "RFQ-7",
    )
    sent = await exported(orders_service, "/exports/quotes.csv", status="sent")
    assert all(r["status"] == "sent" for r in sent)
    assert first["id"] not in {r["id"] for r in sent}


async def exported_rows(orders_service: Any, customer_id: str) -> list[dict[str, str]]:
    return await exported(orders_service, "/exports/price-lists.csv", customer_id=customer_id)


async def test_price_lists_import_one_row_per_break_dry_run_overlap_then_once(
    orders_service: Any,
) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    customer = await orders_service.new_customer(f"Preise {marker}")
    header = "external_reference,name,currency,customer,valid_from,valid_to,sku,min_quantity,"
    header += "unit_price,discount_percent"
    rows = [
        f"{marker}-a,Contract 2026,EUR,{customer['id']},2026-01-01,2026-06-30,BOLT,0,2.10,",
        f"{marker}-a,,,,,,BOLT,100,1.90,",
        f"{marker}-a,,,,,,NUT,0,,15",
        f"{marker}-b,Contract H2,EUR,{customer['id']},2026-07-01,2026-12-31,BOLT,0,2.00,",
    ]
    good = ("\n".join([header, *rows]) + "\n").encode()
    # Line 6: overlaps list a; line 7: another currency on a later row, and a negative price.
    bad_rows = [
        *rows,
        f"{marker}-c,Overlap,EUR,{customer['id']},2026-03-01,,BOLT,0,1.00,",
        f"{marker}-b,,USD,,,,NUT,0,-1,",
    ]
    bad = ("\n".join([header, *bad_rows]) + "\n").encode()

    dry = await client.post("/imports/price-lists?dry_run=true", content=bad, headers=CSV)
    assert dry.status_code == 200, dry.text
    assert [(e["line"], e["column"]) for e in dry.json()["errors"]] == [
        (7, "currency"),
        (7, "unit_price"),
    ]
    overlapping = [*rows, bad_rows[4]]
    overlap = ("\n".join([header, *overlapping]) + "\n").encode()
    dry = await client.post("/imports/price-lists?dry_run=true", content=overlap, headers=CSV)
    [error] = dry.json()["errors"]
    assert (error["line"], error["column"]) == (6, "valid_from")
    assert "may not overlap" in error["message"]
    refused = await client.post("/imports/price-lists", content=overlap, headers=CSV)
    assert refused.status_code == 422
    listed = await client.get("/price-lists", params={"customer_id": customer["id"]})
    assert listed.json()["items"] == []  # nothing written by the dry runs or the refused run

    done = await client.post("/imports/price-lists", content=good, headers=CSV)
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["existing"]) == (2, 0)
    again = await client.post("/imports/price-lists", content=good, headers=CSV)
    assert (again.json()["created"], again.json()["existing"]) == (0, 2)
    lists = (await client.get("/price-lists", params={"customer_id": customer["id"]})).json()
    first_half = next(p for p in lists["items"] if p["name"] == "Contract 2026")

    def amount(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    assert [
        (
            e["sku"],
            Decimal(e["min_quantity"]),
            amount(e["unit_price"]),
            amount(e["discount_percent"]),
        )
        for e in first_half["entries"]
    ] == [
        ("BOLT", 0, Decimal("2.10"), None),
        ("BOLT", 100, Decimal("1.90"), None),
        ("NUT", 0, None, 15),
    ]

    exported = await exported_rows(orders_service, customer["id"])
    assert [(r["external_reference"], r["sku"], r["valid_to"]) for r in exported] == [
        (f"{marker}-b", "BOLT", "2026-12-31"),
        (f"{marker}-a", "BOLT", "2026-06-30"),
        (f"{marker}-a", "BOLT", "2026-06-30"),
        (f"{marker}-a", "NUT", "2026-06-30"),
    ]
    response = await client.get("/exports/price-lists.csv", params={"customer_id": customer["id"]})
    back = await client.post(
        "/imports/price-lists?dry_run=true", content=response.content, headers=CSV
    )
    assert (back.json()["errors"], back.json()["existing"]) == ([], 2)
