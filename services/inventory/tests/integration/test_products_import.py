"""Products from CSV over HTTP on a running service (real PostgreSQL and Kafka): a dry run
reports every bad row by line and column and writes nothing; a real run is all or nothing and
creates each SKU once; the export writes the import's columns. Files over the threshold are
queued and run by the worker, with progress and the same report."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from inventory.adapters.tables import import_jobs
from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints import products_import
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit.csvfiles import ImportReport
from servicekit.db import new_metadata
from servicekit.import_jobs import (
    STALE_AFTER,
    ImportJob,
    ImportJobRunner,
    Progress,
    SqlImportJobs,
    import_jobs_table,
)
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, bearer, eventually, service_under_test

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


@pytest.fixture
async def service(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A service importing files over 500 rows in the background."""
    settings = InventorySettings(
        database_url=await databases.create("inventory_import_jobs"),
        kafka=kafka,
        json_logs=False,
        import_sync_rows=500,
    )
    async with service_under_test(build_spec(settings), MIGRATIONS_DIR) as (runtime, http):
        yield runtime, http


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


def many(tag: str, count: int, broken: dict[int, str] | None = None) -> bytes:
    rows = [f"P{tag}-{n:04d};Part {n};product;EUR {n}.50;unit;standard;true;" for n in range(count)]
    for index, row in (broken or {}).items():
        rows[index] = row
    return a_file(*rows)


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any] | None:
    job: dict[str, Any] = (await client.get(f"/imports/{job_id}")).json()
    return job if job["finished_at"] else None


async def exported(client: httpx.AsyncClient, tag: str) -> list[dict[str, str]]:
    answer = await client.get("/exports/products.csv", params={"q": f"P{tag}-"})
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_a_large_file_is_imported_in_the_background_once(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    _, client = service
    tag = uuid.uuid4().hex[:6].upper()
    queued = await client.post("/imports/products", content=many(tag, 1000), headers=CSV)
    assert queued.status_code == 202, queued.text
    assert queued.headers["location"] == f"/imports/{queued.json()['id']}"
    assert (queued.json()["status"], queued.json()["total_rows"]) == ("queued", 1000)
    job = await eventually(lambda: finished(client, queued.json()["id"]), within=120)
    assert (job["status"], job["processed_rows"], job["kind"]) == ("succeeded", 1000, "product")
    assert (job["report"]["created"], job["report"]["existing"]) == (1000, 0)
    assert job["report"]["errors"] == []
    assert len(await exported(client, tag)) == 1000
    part = (await client.get(f"/products/P{tag}-0007")).json()
    assert [(p["currency"], p["amount"]) for p in part["list_prices"]] == [("EUR", "7.50")]

    again = await client.post("/imports/products", content=many(tag, 1000), headers=CSV)
    assert again.status_code == 202, again.text
    job = await eventually(lambda: finished(client, again.json()["id"]), within=120)
    assert job["status"] == "succeeded"
    assert (job["report"]["created"], job["report"]["existing"]) == (0, 1000)
    assert len(await exported(client, tag)) == 1000

    small = await client.post(
        "/imports/products?background=true", content=a_file(f"X{tag};One;;;;;;"), headers=CSV
    )
    assert small.status_code == 202, small.text  # asked for
    assert (await client.get(f"/imports/{uuid.uuid4()}")).status_code == 404
    sales = bearer("sales", subject="sam")
    assert (await client.get(small.headers["location"], headers=sales)).status_code == 403


async def test_a_bad_row_in_a_background_import_writes_nothing_and_reports_as_the_dry_run(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    _, client = service
    tag = uuid.uuid4().hex[:6].upper()
    broken = {
        6: f"P{tag}-0006;Part 6;gadget;EUR 1;;;;",  # line 8: an unknown kind
        900: f"P{tag}-0900;Part 900;product;XXQ 1;;;;",  # line 902: not ISO 4217
    }
    dry = await client.post(
        "/imports/products?dry_run=true", content=many(tag, 1000, broken), headers=CSV
    )
    assert dry.status_code == 202, dry.text
    checked = await eventually(lambda: finished(client, dry.json()["id"]), within=120)
    assert (checked["dry_run"], checked["status"]) == (True, "failed")
    real = await client.post("/imports/products", content=many(tag, 1000, broken), headers=CSV)
    assert real.status_code == 202, real.text
    job = await eventually(lambda: finished(client, real.json()["id"]), within=120)
    assert (job["status"], job["processed_rows"]) == ("failed", 0)
    assert [(e["line"], e["column"]) for e in job["report"]["errors"]] == [
        (8, "kind"),
        (902, "list_prices"),
    ]
    assert job["report"]["errors"] == checked["report"]["errors"]
    assert job["report"]["created"] == 0
    assert await exported(client, tag) == []  # nothing written

    not_csv = await client.post(
        "/imports/products?background=true", content=b"\xff\xfe;", headers=CSV
    )
    assert not_csv.status_code == 422  # refused before it is queued


async def test_a_running_import_shows_its_progress_every_hundred_rows(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    tag = uuid.uuid4().hex[:6].upper()
    content = many(tag, 1000).decode()
    job = ImportJob(
        id=str(uuid.uuid4()), kind="product", dry_run=False, content=content, total_rows=1000
    )
    async with runtime.sessionmaker() as session, session.begin():
        jobs = SqlImportJobs(session, import_jobs)
        await jobs.add(job)
        claimed = await jobs.claim_next(STALE_AFTER)  # the service's runner
    assert claimed is not None  # running: the service's own runner cannot take it now
    assert claimed.id == job.id

    seen: list[tuple[str, int]] = []

    async def watched(job: ImportJob, progress: Progress) -> ImportReport:
        async def reported(done: int) -> None:
            await progress(done)
            read = (await client.get(f"/imports/{job.id}")).json()
            seen.append((read["status"], read["processed_rows"]))

        return await products_import.run_job(runtime.sessionmaker, 10_000, job, reported)

    runner = ImportJobRunner("test-import-runner", import_jobs, watched, poll_interval=600)
    await runner.start(runtime.sessionmaker)
    try:
        await runner.run(claimed)
    finally:
        await runner.stop()
    assert seen == [("running", done) for done in range(100, 1001, 100)]
    read = (await client.get(f"/imports/{job.id}")).json()
    assert (read["status"], read["processed_rows"], read["report"]["created"]) == (
        "succeeded",
        1000,
        1000,
    )
    assert len(await exported(client, tag)) == 1000


async def test_the_migrated_import_jobs_table_is_the_declared_one(
    service: tuple[Runtime, httpx.AsyncClient],
) -> None:
    declared = new_metadata()
    import_jobs_table(declared)

    def differences(connection: Connection) -> list[Any]:
        def ours(_item: Any, name: str | None, kind: str, *_: Any) -> bool:
            return kind != "table" or name == "import_jobs"

        context = MigrationContext.configure(connection, opts={"include_object": ours})
        return list(compare_metadata(context, declared))

    runtime, _ = service
    async with runtime.sessionmaker() as session:
        connection = await session.connection()
        assert await connection.run_sync(differences) == []
