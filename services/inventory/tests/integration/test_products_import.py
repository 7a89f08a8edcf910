"""Products from CSV over HTTP on a running service (real PostgreSQL and Kafka): a dry run
reports every bad row by line and column and writes nothing; a real run is all or nothing and
creates each SKU once; the export writes the import's columns."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, bearer, service_under_test

CSV = {"content-type": "text/csv"}


@pytest.fixture
async def client(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    settings = InventorySettings(
        database_url=await databases.create("inventory_import"), kafka=kafka, json_logs=False
    )
    async with service_under_test(build_spec(settings), MIGRATIONS_DIR) as (_, http):
        yield http


def a_file(*rows: str) -> bytes:
    header = "sku;name;kind;list_prices;unit_of_measure;tax_category;active;barcode"
    return ("\n".join([header, *rows]) + "\n").encode()


async def test_a_dry_run_reports_every_bad_row_and_a_fixed_file_imports_once(
    client: httpx.AsyncClient,
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    good = [
        f"BOLT-{tag};Bolt M8;product;EUR 0.25 USD 0.27;unit;standard;true;4006381333931",
        f"HOUR-{tag};Fitting;service;EUR 60.00;h;reduced;;",
    ]
    bad = [
        *good,
        f"BOLT-{tag};Bolt again;product;;;;;",  # line 4: the same SKU as line 2
        f"NUT-{tag};Nut;gadget;EUR 1;;;;",  # line 5: an unknown kind
        f"WASHER-{tag};Washer;product;XXQ 1.00;;;;",  # line 6: not an ISO 4217 currency
        f"PIN-{tag};Pin;product;EUR;;;;4006381333932",  # line 7: no amount
        f"CLIP-{tag};Clip;product;;;;;4006381333932",  # line 8: a GTIN failing its check digit
        "bad sku!;Thing;product;;;;;",  # line 9
    ]
    dry = await client.post("/imports/products?dry_run=true", content=a_file(*bad), headers=CSV)
    assert dry.status_code == 200, dry.text
    assert [(e["line"], e["column"]) for e in dry.json()["errors"]] == [
        (4, "sku"),
        (5, "kind"),
        (6, "list_prices"),
        (7, "list_prices"),
        (8, "barcode"),
        (9, "sku"),
    ]
    assert dry.json()["created"] == 0
    real = await client.post("/imports/products", content=a_file(*bad), headers=CSV)
    assert real.status_code == 422
    assert real.headers["content-type"] == "application/problem+json"
    assert len(real.json()["errors"]) == 6
    assert (await client.get(f"/products/BOLT-{tag}")).status_code == 404  # nothing written

    dry = await client.post("/imports/products?dry_run=true", content=a_file(*good), headers=CSV)
    assert (dry.json()["created"], dry.json()["errors"]) == (2, [])
    assert (await client.get(f"/products/BOLT-{tag}")).status_code == 404
    done = await client.post("/imports/products", content=a_file(*good), headers=CSV)
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["existing"]) == (2, 0)
    again = await client.post("/imports/products", content=a_file(*good), headers=CSV)
    assert (again.json()["created"], again.json()["existing"]) == (0, 2)

    bolt = (await client.get(f"/products/BOLT-{tag}")).json()
    assert (bolt["kind"], bolt["barcode"]) == ("product", "4006381333931")
    assert {p["currency"]: p["amount"] for p in bolt["list_prices"]} == {
        "EUR": "0.25",
        "USD": "0.27",
    }
    hour = (await client.get(f"/products/HOUR-{tag}")).json()
    assert (hour["kind"], hour["unit_of_measure"], hour["tax_category"], hour["active"]) == (
        "service",
        "h",
        "reduced",
        True,
    )
    exported = await client.get("/exports/products.csv", params={"q": tag})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(exported.text))) == [
        {
            "sku": f"BOLT-{tag}",
            "name": "Bolt M8",
            "kind": "product",
            "description": "",
            "list_prices": "EUR 0.25 USD 0.27",
            "unit_of_measure": "unit",
            "tax_category": "standard",
            "active": "true",
            "barcode": "4006381333931",
        },
        {
            "sku": f"HOUR-{tag}",
            "name": "Fitting",
            "kind": "service",
            "description": "",
            "list_prices": "EUR 60.00",
            "unit_of_measure": "h",
            "tax_category": "reduced",
            "active": "true",
            "barcode": "",
        },
    ]
    reimported = await client.post(
        "/imports/products?dry_run=true", content=exported.content, headers=CSV
    )
    assert (reimported.json()["errors"], reimported.json()["existing"]) == ([], 2)

    sales = bearer("sales", subject="sam")
    refused = await client.post(
        "/imports/products", content=a_file(*good), headers={**CSV, **sales}
    )
    assert refused.status_code == 403
