"""ETag / If-Match on orders and customers, and Idempotency-Key per caller, over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from servicekit.testing import bearer

PROBLEM_JSON = "application/problem+json"


BRUSSELS = {"line1": "1 Tag Street", "postal_code": "1000", "city": "Brussels", "country": "BE"}


async def a_customer(service: Any) -> dict[str, Any]:
    customer: dict[str, Any] = await service.new_customer("Tags Ltd", billing_address=BRUSSELS)
    return customer


def a_draft(customer_id: str, description: str = "Washers") -> dict[str, Any]:
    line = {"sku": "WASHER-8", "kind": "product", "description": description}
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [{**line, "quantity": "3", "unit_price": "0.40", "tax_rate": "21"}],
    }


async def a_draft_order(service: Any) -> dict[str, Any]:
    customer = await a_customer(service)
    order: dict[str, Any] = await service.created("/orders", a_draft(customer["id"]))
    return order


async def etag_of(service: Any, url: str) -> str:
    response = await service.client.get(url)
    assert response.status_code == 200, response.text
    etag: str = response.headers["ETag"]
    return etag


async def change(service: Any, url: str, if_match: str | None, **fields: Any) -> httpx.Response:
    headers = {} if if_match is None else {"If-Match": if_match}
    response: httpx.Response = await service.client.patch(url, json=fields, headers=headers)
    return response


async def test_an_order_read_carries_an_etag_that_changes_with_it(orders_service: Any) -> None:
    url = f"/orders/{(await a_draft_order(orders_service))['id']}"
    etag = await etag_of(orders_service, url)
    assert etag.startswith('"')
    assert await etag_of(orders_service, url) == etag  # stable

    changed = await change(orders_service, url, etag, description="revised")
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "revised"
    assert changed.headers["ETag"] != etag
    assert await etag_of(orders_service, url) == changed.headers["ETag"]


async def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    orders_service: Any,
) -> None:
    url = f"/orders/{(await a_draft_order(orders_service))['id']}"
    stale = await etag_of(orders_service, url)
    await change(orders_service, url, None, description="first")  # someone else

    refused = await change(orders_service, url, stale, description="second")
    assert refused.status_code == 412, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    current = await etag_of(orders_service, url)
    assert refused.json()["current_etag"] == current

    details = await change(orders_service, f"{url}/details", stale, contract_number="C-1")
    assert details.status_code == 412, details.text
    # If-Match compares strongly: a weak tag never matches
    assert (await change(orders_service, url, f"W/{current}", description="3")).status_code == 412
    assert (await orders_service.client.get(url)).json()["description"] == "first"


async def test_details_honour_if_match_and_no_if_match_works_as_before(
    orders_service: Any,
) -> None:
    url = f"/orders/{(await a_draft_order(orders_service))['id']}"
    etag = await etag_of(orders_service, url)
    details = await change(orders_service, f"{url}/details", etag, contract_number="C-7")
    assert details.status_code == 200, details.text
    assert details.headers["ETag"] == await etag_of(orders_service, url)

    assert (await change(orders_service, url, None, description="anyway")).status_code == 200


async def test_two_changes_based_on_one_read_let_one_through(orders_service: Any) -> None:
    url = f"/orders/{(await a_draft_order(orders_service))['id']}"
    etag = await etag_of(orders_service, url)
    answers = await asyncio.gather(
        *(change(orders_service, url, etag, description=f"writer {n}") for n in range(2))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 412]


async def test_a_missing_order_is_404_whatever_the_if_match(orders_service: Any) -> None:
    missing = await change(orders_service, f"/orders/{uuid.uuid4()}", '"abc"', description="x")
    assert missing.status_code == 404


async def test_a_customer_read_carries_an_etag(orders_service: Any) -> None:
    customer = await a_customer(orders_service)
    url = f"/customers/{customer['id']}"
    etag = await etag_of(orders_service, url)
    assert await etag_of(orders_service, url) == etag
    added = await orders_service.client.post(
        f"{url}/addresses",
        json={
            "kind": "shipping",
            "is_default": True,
            "line1": "2 Dock Road",
            "postal_code": "2000",
            "city": "Antwerp",
            "country": "BE",
        },
    )
    assert added.status_code == 201, added.text
    assert await etag_of(orders_service, url) != etag  # a new default


async def test_one_idempotency_key_from_two_callers_creates_two_orders(
    orders_service: Any,
) -> None:
    customer = await a_customer(orders_service)
    body = a_draft(customer["id"])
    key = f"shared-{uuid.uuid4().hex[:8]}"

    async def create(subject: str, sent: dict[str, Any]) -> Any:
        return await orders_service.client.post(
            "/orders",
            json=sent,
            headers={"Idempotency-Key": key, **bearer("sales", subject=subject)},
        )

    alice, bob = await create("alice", body), await create("bob", body)
    assert alice.status_code == bob.status_code == 201
    assert alice.json()["id"] != bob.json()["id"]
    retried = await create("alice", body)
    assert retried.status_code == 201
    assert retried.json()["id"] == alice.json()["id"]

    other = await create("alice", a_draft(customer["id"], description="Other washers"))
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
