"""The inventory's HTTP API: catalogue, stock, adjustments, reservations and shipments."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.model import (
    DomainError,
    ItemKind,
    LineStatus,
    UnknownProduct,
)
from inventory.entrypoints.schemas import (
    SKU_PATTERN,
    MovementRead,
    Page,
    ProductRead,
    ProductUpdate,
    ReservationRead,
    ShipmentCreate,
    ShipmentLineRead,
    ShipmentRead,
    StockAdjustmentCreate,
    StockAdjustmentRead,
    StockRead,
)
from inventory.service_layer import catalogue, reservations, shipments, stock
from inventory.service_layer.catalogue import Product
from inventory.service_layer.shipments import Shipment
from inventory.service_layer.transaction import in_transaction
from servicekit.auth import Role, current_actor, require
from servicekit.http import (
    Conflict,
    InvalidInput,
    NotFound,
    decode_cursor,
    encode_cursor,
    idempotent,
)
from servicekit.observability import current_correlation_id
from servicekit.runtime import Runtime, runtime_of


def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=1000, description="From `next_cursor`")]
IdempotencyKey = Annotated[
    str | None,
    Header(description="Retrying with the same key returns the first response"),
]

# Reading is open to every role (the runtime checks the token); changing stock is warehouse work.
WAREHOUSE_ONLY = [Depends(require(Role.WAREHOUSE))]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown resource"},
    409: {"description": "Refused in the current state; nothing changed"},
    422: {"description": "Invalid input; `errors` name the fields"},
}


@contextmanager
def refusals() -> Iterator[None]:
    """Domain refusals as problems: unknown product → 404, any other rule → 409 (naming the SKU)."""
    try:
        yield
    except UnknownProduct as exc:
        raise NotFound(str(exc), sku=exc.sku) from exc
    except DomainError as exc:
        raise Conflict(str(exc), sku=getattr(exc, "sku", None)) from exc


def _cursor_field(cursor: str | None, *names: str) -> tuple[Any, ...] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    if set(position) != set(names):
        raise InvalidInput.field("query.cursor", "not a cursor of this list")
    return tuple(position[name] for name in names)


def _product(product: Product) -> ProductRead:
    return ProductRead(
        sku=product.sku,
        name=product.name,
        kind=product.kind,
        description=product.description,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def _shipment(shipment: Shipment) -> ShipmentRead:
    return ShipmentRead(
        id=shipment.id,
        order_id=shipment.order_id,
        lines=[ShipmentLineRead(sku=sku, quantity=q) for sku, q in shipment.lines.items()],
        fully_shipped=shipment.fully_shipped,
        created_at=shipment.created_at,
    )


# --- catalogue ----------------------------------------------------------------------------------

catalogue_router = APIRouter(tags=["catalogue"], responses=PROBLEMS)


@catalogue_router.get("/products")
async def list_products(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: ItemKind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in SKU/name")] = None,
) -> Page[ProductRead]:
    """Products and services in SKU order."""
    after = _cursor_field(cursor, "sku")
    found, more = await catalogue.list_products(
        session, limit=limit, after_sku=after[0] if after else None, kind=kind, text=q
    )
    next_cursor = encode_cursor({"sku": found[-1].sku}) if more and found else None
    return Page[ProductRead](items=[_product(p) for p in found], next_cursor=next_cursor)


@catalogue_router.get("/products/{sku:path}")
async def get_product(sku: SkuPath, session: SessionDep) -> ProductRead:
    """One product or service."""
    product = await catalogue.get_product(session, sku)
    if product is None:
        raise NotFound(f"no product with SKU {sku!r}", sku=sku)
    return _product(product)


@catalogue_router.put(
    "/products/{sku:path}",
    responses={201: {"description": "Created", "model": ProductRead}},
    dependencies=WAREHOUSE_ONLY,
)
async def put_product(
    sku: SkuPath, body: ProductUpdate, runtime: RuntimeDep, response: Response
) -> ProductRead:
    """Create the product (201) or replace its fields (200)."""

    async def work(session: AsyncSession) -> tuple[Product, bool]:
        with refusals():
            return await catalogue.upsert_product(
                session, sku=sku, name=body.name, kind=body.kind, description=body.description
            )

    product, created = await in_transaction(runtime.sessionmaker, work)
    response.status_code = 201 if created else 200
    return _product(product)


# --- stock --------------------------------------------------------------------------------------

stock_router = APIRouter(tags=["stock"], responses=PROBLEMS)


@stock_router.post(
    "/stock/adjustments",
    status_code=201,
    response_model=StockAdjustmentRead,
    dependencies=WAREHOUSE_ONLY,
)
async def create_adjustment(
    body: StockAdjustmentCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Receive, write off (damage, loss) or count stock; never below 0 or below reserved."""

    async def work(session: AsyncSession) -> tuple[int, Any]:
        async def create() -> tuple[int, Any]:
            with refusals():
                adjustment = await stock.adjust_stock(
                    session,
                    sku=body.sku,
                    kind=body.kind,
                    quantity=body.quantity,
                    reason=body.reason,
                    correlation_id=current_correlation_id(),
                    actor=current_actor(),
                )
            read = StockAdjustmentRead(
                id=adjustment.id,
                sku=adjustment.sku,
                kind=adjustment.kind,
                quantity_change=adjustment.quantity_change,
                on_hand=adjustment.on_hand,
                reserved=adjustment.reserved,
                available=adjustment.available,
                reason=adjustment.reason,
                created_at=adjustment.created_at,
            )
            return 201, read.model_dump(mode="json")

        return await idempotent(
            session,
            runtime.metadata,
            scope="stock.adjustments",
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            create=create,
        )

    status, content = await in_transaction(runtime.sessionmaker, work)
    return JSONResponse(content, status_code=status)


@stock_router.get("/stock/{sku:path}/movements")
async def list_movements(
    sku: SkuPath, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[MovementRead]:
    """The stock ledger of one SKU, oldest first: every change with the level it left."""
    after = _cursor_field(cursor, "id")
    with refusals():
        rows, more = await stock.list_movements(
            session, sku, limit=limit, after_id=int(after[0]) if after else None
        )
    items = [
        MovementRead(
            id=row.id,
            sku=row.sku,
            warehouse=row.warehouse,
            kind=row.kind,
            quantity_change=row.quantity_change,
            on_hand_change=row.on_hand_change,
            reserved_change=row.reserved_change,
            on_hand=row.on_hand,
            reserved=row.reserved,
            available=row.on_hand - row.reserved,
            reason=row.reason,
            reference=row.reference,
            order_id=row.order_id,
            created_at=row.created_at,
        )
        for row in rows
    ]
    next_cursor = encode_cursor({"id": rows[-1].id}) if more and rows else None
    return Page[MovementRead](items=items, next_cursor=next_cursor)


@stock_router.get("/stock/{sku:path}")
async def get_stock(sku: SkuPath, session: SessionDep) -> StockRead:
    """On hand, reserved and available (on hand - reserved) of one product."""
    try:
        with refusals():
            level = await stock.get_stock(session, sku)
    except Conflict as exc:  # a service: there is no stock to show
        raise NotFound(exc.detail, sku=sku) from exc
    return StockRead(
        sku=level.sku, on_hand=level.on_hand, reserved=level.reserved, available=level.available
    )


# --- reservations -------------------------------------------------------------------------------

reservations_router = APIRouter(tags=["reservations"], responses=PROBLEMS)


@reservations_router.get("/reservations")
async def list_reservations(
    session: SessionDep,
    order_id: Annotated[str | None, Query(max_length=200)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    status: LineStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReservationRead]:
    """What orders hold per SKU; a backordered order's lines have status `backordered`."""
    after = _cursor_field(cursor, "order_id", "sku")
    rows, more = await reservations.list_lines(
        session,
        limit=limit,
        order_id=order_id,
        sku=sku,
        status=status,
        after=(str(after[0]), str(after[1])) if after else None,
    )
    items = [
        ReservationRead(
            order_id=row.order_id,
            sku=row.sku,
            warehouse=row.warehouse,
            quantity=row.quantity,
            shipped_quantity=row.shipped_quantity,
            released_quantity=row.released_quantity,
            status=LineStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
    next_cursor = (
        encode_cursor({"order_id": rows[-1].order_id, "sku": rows[-1].sku})
        if more and rows
        else None
    )
    return Page[ReservationRead](items=items, next_cursor=next_cursor)


# --- shipments ----------------------------------------------------------------------------------

shipments_router = APIRouter(tags=["shipments"], responses=PROBLEMS)


@shipments_router.post(
    "/shipments", status_code=201, response_model=ShipmentRead, dependencies=WAREHOUSE_ONLY
)
async def create_shipment(
    body: ShipmentCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Ship reserved stock of an order (partial shipments allowed); 409 names an SKU over."""

    async def work(session: AsyncSession) -> tuple[int, Any]:
        async def create() -> tuple[int, Any]:
            with refusals():
                shipment = await shipments.dispatch_shipment(
                    session,
                    order_id=body.order_id,
                    lines=[(line.sku, line.quantity) for line in body.lines],
                    correlation_id=current_correlation_id(),
                    actor=current_actor(),
                )
            return 201, _shipment(shipment).model_dump(mode="json")

        return await idempotent(
            session,
            runtime.metadata,
            scope="shipments",
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            create=create,
        )

    status, content = await in_transaction(runtime.sessionmaker, work)
    return JSONResponse(content, status_code=status)


@shipments_router.get("/shipments")
async def list_shipments(
    session: SessionDep,
    order_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ShipmentRead]:
    """Shipments, oldest first."""
    after = _cursor_field(cursor, "created_at", "id")
    position = None
    if after is not None:
        try:
            position = (datetime.fromisoformat(str(after[0])), str(after[1]))
        except ValueError:
            raise InvalidInput.field("query.cursor", "not a cursor of this list") from None
    found, more = await shipments.list_shipments(
        session, limit=limit, order_id=order_id, after=position
    )
    next_cursor = (
        encode_cursor({"created_at": found[-1].created_at.isoformat(), "id": found[-1].id})
        if more and found
        else None
    )
    return Page[ShipmentRead](items=[_shipment(s) for s in found], next_cursor=next_cursor)


@shipments_router.get("/shipments/{shipment_id}")
async def get_shipment(
    shipment_id: Annotated[str, Path(max_length=36)], session: SessionDep
) -> ShipmentRead:
    """One shipment."""
    shipment = await shipments.get_shipment(session, shipment_id)
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id!r}")
    return _shipment(shipment)


ROUTERS = (catalogue_router, stock_router, reservations_router, shipments_router)
