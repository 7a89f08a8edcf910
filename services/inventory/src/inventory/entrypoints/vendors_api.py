"""Vendors: who we buy from, on which terms, and the products they supply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from inventory.entrypoints.common import (
    PROBLEMS,
    PURCHASING_ONLY,
    REFUSALS,
    RuntimeDep,
    UnitOfWorkDep,
    change,
    create_once,
)
from inventory.entrypoints.vendors_schemas import VendorPage, VendorRead, VendorWrite
from inventory.service_layer import purchasing
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit, Storable, problems_from
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["purchasing"], responses=PROBLEMS)

VendorId = Annotated[str, Path(max_length=36)]


def _name_and_id(position: dict[str, object]) -> tuple[str, str]:
    name, vendor_id = keys("name", "id")(position)
    return text(name), text(vendor_id)


@router.post("/vendors", status_code=201, response_model=VendorRead, dependencies=PURCHASING_ONLY)
async def create_vendor(
    body: VendorWrite, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A vendor with the products it supplies (their purchase price and lead time)."""

    async def create(uow: UnitOfWork) -> VendorRead:
        return VendorRead.of(await purchasing.create_vendor(uow, body.details()))

    return await create_once(
        runtime, scope="vendors", idempotency_key=idempotency_key, body=body, create=create
    )


@router.get("/vendors")
async def list_vendors(
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in name/e-mail"), Storable
    ] = None,
) -> VendorPage:
    """Vendors by name."""
    found, more = await purchasing.list_vendors(
        uow, limit=limit, after=cursor_position(cursor, _name_and_id), text=q
    )
    return VendorPage(
        items=[VendorRead.of(v) for v in found],
        next_cursor=next_cursor(found, more, lambda last: {"name": last.name, "id": last.id}),
    )


@router.get("/vendors/{vendor_id}")
async def get_vendor(vendor_id: VendorId, uow: UnitOfWorkDep) -> VendorRead:
    """One vendor."""
    with problems_from(REFUSALS):
        return VendorRead.of(await purchasing.get_vendor(uow, vendor_id))


@router.put("/vendors/{vendor_id}", dependencies=PURCHASING_ONLY)
async def replace_vendor(vendor_id: VendorId, body: VendorWrite, runtime: RuntimeDep) -> VendorRead:
    """Replace the vendor's fields and supplied products (404 for an unknown vendor)."""
    vendor = await change(
        runtime, lambda uow: purchasing.replace_vendor(uow, vendor_id, body.details())
    )
    return VendorRead.of(vendor)
