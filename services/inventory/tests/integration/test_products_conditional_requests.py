"""ETag on product reads and If-Match on their PUT, over HTTP on a running service."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, service_under_test

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
async def client(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    settings = InventorySettings(
        database_url=await databases.create("inventory_etag"), kafka=kafka, json_logs=False
    )
    async with service_under_test(build_spec(settings), MIGRATIONS_DIR) as (_, http):
        yield http


async def a_product(client: httpx.AsyncClient) -> str:
    sku = f"ETAG-{uuid.uuid4().hex[:6].upper()}"
    created = await client.put(f"/products/{sku}", json={"name": "Hinge", "kind": "product"})
    assert created.status_code == 201, created.text
    return sku


async def test_a_product_read_carries_an_etag_that_changes_with_it(
    client: httpx.AsyncClient,
) -> None:
    url = f"/products/{await a_product(client)}"
    etag = (await client.get(url)).headers["ETag"]
    assert etag.startswith('"')
    assert (await client.get(url)).headers["ETag"] == etag

    renamed = await client.put(
        url, json={"name": "Brass hinge", "kind": "product"}, headers={"If-Match": etag}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["ETag"] != etag
    assert (await client.get(url)).headers["ETag"] == renamed.headers["ETag"]


async def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    url = f"/products/{await a_product(client)}"
    stale = (await client.get(url)).headers["ETag"]
    assert (await client.put(url, json={"name": "First", "kind": "product"})).status_code == 200

    refused = await client.put(
        url, json={"name": "Second", "kind": "product"}, headers={"If-Match": stale}
    )
    assert refused.status_code == 412, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    current = await client.get(url)
    assert refused.json()["current_etag"] == current.headers["ETag"]
    assert current.json()["name"] == "First"


async def test_if_match_on_a_product_that_does_not_exist_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    url = f"/products/ETAG-NEW-{uuid.uuid4().hex[:6].upper()}"
    for condition in ('"anything"', "*"):
        refused = await client.put(
            url, json={"name": "Ghost", "kind": "product"}, headers={"If-Match": condition}
        )
        assert refused.status_code == 412, refused.text
    assert (await client.get(url)).status_code == 404


async def test_two_changes_based_on_one_read_let_one_through(client: httpx.AsyncClient) -> None:
    url = f"/products/{await a_product(client)}"
    etag = (await client.get(url)).headers["ETag"]
    answers = await asyncio.gather(
        *(
            client.put(
                url, json={"name": f"Writer {n}", "kind": "product"}, headers={"If-Match": etag}
            )
            for n in range(2)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 412]
