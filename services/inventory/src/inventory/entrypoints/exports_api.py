"""CSV exports of inventory's lists, each with the filters of its list, streamed a page at a time.

Each page is read in a short transaction of its own (keyset pagination), so a long export holds
no transaction open. Quantities are written without trailing zeros (`10.5`), amounts exactly in
their currency's minor unit (`2.50`, a price of `0.125` as it is): never rounded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.domain.model import MAIN_WAREHOUSE
from inventory.domain.purchasing import PurchaseOrder, PurchaseOrderStatus, Suggestion, Vendor
from inventory.domain.records import Movement, ReservationRecord, Shipment, StockOverviewRow
from inventory.domain.returns import ReturnAuthorisation, ReturnStatus
from inventory.domain.warehouses import Transfer, TransferStatus, Warehouse
from inventory.entrypoints.common import (
    PROBLEMS,
    REFUSALS,
    OrderIdQuery,
    RuntimeDep,
    SkuPath,
)
from inventory.entrypoints.reservations_api import ReservationQuery
from inventory.entrypoints.stock_api import StockQuery, WarehouseQuery
from inventory.service_layer import (
    purchasing,
    reservations,
    returns,
    shipments,
    stock,
    warehouses,
)
from inventory.service_layer.ports import UnitOfWork
from pricing.amounts import in_currency, plain
from servicekit.api import Storable, problems_from
from servicekit.csvfiles import CSV_ANSWER, EXPORT_PAGE, csv_response, line_rows_of, paged, rows_of
from servicekit.runtime import Runtime

router = APIRouter(tags=["exports"], responses=PROBLEMS)

T = TypeVar("T")
P = TypeVar("P")
Page = tuple[Sequence[T], bool]


def _reader(
    runtime: Runtime, page: Callable[[UnitOfWork, P | None], Awaitable[Page[T]]]
) -> Callable[[P | None], Awaitable[Page[T]]]:
    """`page(uow, after)` read in a short transaction of its own."""

    async def read(after: P | None) -> Page[T]:
        async with runtime.sessionmaker() as session, session.begin():
            return await page(SqlUnitOfWork(session), after)

    return read


def _quantity(value: Decimal | None) -> Decimal | None:
    return None if value is None else plain(value)


# --- stock -----------------------------------------------------------------------------------

STOCK_COLUMNS = (
    "sku",
    "name",
    "warehouse",
    "on_hand",
    "reserved",
    "available",
    "incoming",
    "reorder_point",
)


def _stock_row(row: StockOverviewRow) -> list[Any]:
    return [
        row.sku,
        row.name,
        row.warehouse,
        plain(row.on_hand),
        plain(row.reserved),
        plain(row.available),
        plain(row.incoming),
        _quantity(row.reorder_point),
    ]


@router.get("/exports/stock.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_stock(runtime: RuntimeDep, where: StockQuery) -> StreamingResponse:
    """Stock at a glance with the filters of `GET /stock`, in (SKU, warehouse) order."""

    async def page(uow: UnitOfWork, after: tuple[str, str] | None) -> Page[StockOverviewRow]:
        return await stock.overview(uow, where, limit=EXPORT_PAGE, after=after)

    found = paged(_reader(runtime, page), lambda row: (row.sku, row.warehouse))
    return csv_response("stock.csv", STOCK_COLUMNS, rows_of(found, _stock_row))


MOVEMENT_COLUMNS = (
    "id",
    "sku",
    "warehouse",
    "kind",
    "quantity_change",
    "on_hand_change",
    "reserved_change",
    "on_hand",
    "reserved",
    "available",
    "reason",
    "reference",
    "order_id",
    "created_at",
)


def _movement_row(movement: Movement) -> list[Any]:
    return [
        movement.id,
        movement.sku,
        movement.warehouse,
        movement.kind.value,
        plain(movement.quantity_change),
        plain(movement.on_hand_change),
        plain(movement.reserved_change),
        plain(movement.on_hand),
        plain(movement.reserved),
        plain(movement.available),
        movement.reason,
        movement.reference,
        movement.order_id,
        movement.created_at.isoformat(),
    ]


@router.get(
    "/exports/stock/{sku:path}/movements.csv",
    response_class=StreamingResponse,
    responses=CSV_ANSWER,
)
async def export_movements(
    sku: SkuPath, runtime: RuntimeDep, warehouse: WarehouseQuery = MAIN_WAREHOUSE
) -> StreamingResponse:
    """The stock ledger of one SKU in one warehouse, oldest first, as `GET
    /stock/{sku}/movements` lists it (404 unknown SKU, 422 unknown warehouse: answered before
    the download starts)."""
    async with runtime.sessionmaker() as session, session.begin():
        with problems_from(REFUSALS):
            await stock.list_movements(SqlUnitOfWork(session), sku, limit=1, warehouse=warehouse)

    async def page(uow: UnitOfWork, after: int | None) -> Page[Movement]:
        return await stock.list_movements(
            uow, sku, limit=EXPORT_PAGE, after_id=after, warehouse=warehouse
        )

    found = paged(_reader(runtime, page), lambda movement: movement.id)
    return csv_response("stock-movements.csv", MOVEMENT_COLUMNS, rows_of(found, _movement_row))


RESERVATION_COLUMNS = (
    "order_id",
    "sku",
    "warehouse",
    "status",
    "quantity",
    "shipped_quantity",
    "released_quantity",
    "created_at",
    "updated_at",
)


def _reservation_row(line: ReservationRecord) -> list[Any]:
    return [
        line.order_id,
        line.sku,
        line.warehouse,
        line.status.value,
        plain(line.quantity),
        plain(line.shipped_quantity),
        plain(line.released_quantity),
        line.created_at,
        line.updated_at,
    ]


@router.get("/exports/reservations.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_reservations(runtime: RuntimeDep, where: ReservationQuery) -> StreamingResponse:
    """Reservation lines (backordered ones included) in (order id, SKU) order, with the filters
    of `GET /reservations`."""

    async def page(uow: UnitOfWork, after: tuple[str, str] | None) -> Page[ReservationRecord]:
        return await reservations.list_lines(uow, where, limit=EXPORT_PAGE, after=after)

    found = paged(_reader(runtime, page), lambda line: (line.order_id, line.sku))
    rows = rows_of(found, _reservation_row)
    return csv_response("reservations.csv", RESERVATION_COLUMNS, rows)


TRANSFER_COLUMNS = (
    "id",
    "from_warehouse",
    "to_warehouse",
    "status",
    "sku",
    "quantity",
    "note",
    "created_at",
    "received_at",
)


def _transfer_rows(transfer: Transfer) -> list[list[Any]]:
    return [
        [
            transfer.id,
            transfer.from_warehouse,
            transfer.to_warehouse,
            transfer.status.value,
            sku,
            plain(quantity),
            transfer.note,
            transfer.created_at,
            transfer.received_at,
        ]
        for sku, quantity in transfer.lines.items()
    ]


@router.get("/exports/transfers.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_transfers(
    runtime: RuntimeDep, status: TransferStatus | None = None
) -> StreamingResponse:
    """Transfers between warehouses, oldest first, with the filter of `GET /transfers`: one row
    per line."""

    async def page(uow: UnitOfWork, after: tuple[datetime, str] | None) -> Page[Transfer]:
        return await warehouses.list_transfers(uow, limit=EXPORT_PAGE, status=status, after=after)

    found = paged(_reader(runtime, page), _created_at_and_id)
    return csv_response("transfers.csv", TRANSFER_COLUMNS, line_rows_of(found, _transfer_rows))


# --- purchasing ------------------------------------------------------------------------------

ADDRESS_PARTS = ("line1", "line2", "postal_code", "city", "region", "country")
VENDOR_COLUMNS = (
    "id",
    "name",
    "currency",
    "payment_terms_days",
    "email",
    "phone",
    "contact_name",
    *(f"address_{part}" for part in ADDRESS_PARTS),
    "supplied_products",
    "created_at",
)


def _vendor_row(vendor: Vendor) -> list[Any]:
    address = vendor.address or {}
    return [
        vendor.id,
        vendor.name,
        vendor.currency,
        vendor.payment_terms_days,
        vendor.email,
        vendor.phone,
        vendor.contact_name,
        *(address.get(part) for part in ADDRESS_PARTS),
        len(vendor.supplies),
        vendor.created_at.isoformat(),
    ]


@router.get("/exports/vendors.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_vendors(
    runtime: RuntimeDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in name/e-mail"), Storable
    ] = None,
) -> StreamingResponse:
    """Vendors by name with the filter of `GET /vendors`, one row each."""

    async def page(uow: UnitOfWork, after: tuple[str, str] | None) -> Page[Vendor]:
        return await purchasing.list_vendors(uow, limit=EXPORT_PAGE, after=after, text=q)

    found = paged(_reader(runtime, page), lambda vendor: (vendor.name, vendor.id))
    return csv_response("vendors.csv", VENDOR_COLUMNS, rows_of(found, _vendor_row))


PURCHASE_ORDER_COLUMNS = (
    "id",
    "number",
    "vendor_id",
    "status",
    "warehouse",
    "currency",
    "expected_date",
    "total",
    "line_no",
    "sku",
    "quantity",
    "unit_price",
    "net",
    "received",
    "open",
    "line_expected_date",
    "created_at",
    "sent_at",
)


def _purchase_order_rows(order: PurchaseOrder) -> list[list[Any]]:
    currency = order.currency
    head = [
        order.id,
        order.number,
        order.vendor_id,
        order.status.value,
        order.warehouse,
        currency,
        order.expected_date,
        in_currency(order.total, currency),
    ]
    tail = [order.created_at, order.sent_at]
    return [
        [
            *head,
            line_no,
            line.sku,
            plain(line.quantity),
            in_currency(line.unit_price, currency),
            in_currency(line.net(currency), currency),
            plain(line.received),
            plain(line.open),
            line.expected_date,
            *tail,
        ]
        for line_no, line in enumerate(order.lines, start=1)
    ]


@router.get("/exports/purchase-orders.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_purchase_orders(
    runtime: RuntimeDep,
    vendor_id: str | None = None,
    status: PurchaseOrderStatus | None = None,
) -> StreamingResponse:
    """Purchase orders, oldest first, with the filters of `GET /purchase-orders`: one row per
    line, the order's fields repeated on each."""

    async def page(uow: UnitOfWork, after: tuple[datetime, str] | None) -> Page[PurchaseOrder]:
        return await purchasing.list_purchase_orders(
            uow, limit=EXPORT_PAGE, after=after, vendor_id=vendor_id, status=status
        )

    found = paged(_reader(runtime, page), _created_at_and_id)
    rows = line_rows_of(found, _purchase_order_rows)
    return csv_response("purchase-orders.csv", PURCHASE_ORDER_COLUMNS, rows)


def _created_at_and_id(
    record: PurchaseOrder | ReturnAuthorisation | Transfer,
) -> tuple[datetime, str]:
    assert record.created_at is not None  # a stored record has its creation time
    return record.created_at, record.id


# --- shipments and returns -------------------------------------------------------------------

SHIPMENT_COLUMNS = (
    "id",
    "order_id",
    "warehouse",
    "sku",
    "quantity",
    "fully_shipped",
    "carrier",
    "tracking_number",
    "shipping_date",
    "delivered_at",
    "created_at",
)


def _shipment_rows(shipment: Shipment) -> list[list[Any]]:
    return [
        [
            shipment.id,
            shipment.order_id,
            shipment.warehouse,
            sku,
            plain(quantity),
            "true" if shipment.fully_shipped else "false",
            shipment.carrier,
            shipment.tracking_number,
            shipment.shipping_date,
            shipment.delivered_at,
            shipment.created_at.isoformat(),
        ]
        for sku, quantity in shipment.lines.items()
    ]


@router.get("/exports/shipments.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_shipments(runtime: RuntimeDep, order_id: OrderIdQuery = None) -> StreamingResponse:
    """Shipments, oldest first, with the filter of `GET /shipments`: one row per line."""

    async def page(uow: UnitOfWork, after: tuple[datetime, str] | None) -> Page[Shipment]:
        return await shipments.list_shipments(
            uow, limit=EXPORT_PAGE, order_id=order_id, after=after
        )

    found = paged(_reader(runtime, page), lambda shipment: (shipment.created_at, shipment.id))
    return csv_response("shipments.csv", SHIPMENT_COLUMNS, line_rows_of(found, _shipment_rows))


RETURN_COLUMNS = (
    "id",
    "number",
    "order_id",
    "status",
    "reason",
    "sku",
    "quantity",
    "disposition",
    "note",
    "created_at",
    "received_at",
)


def _return_rows(rma: ReturnAuthorisation) -> list[list[Any]]:
    chosen = rma.dispositions or {}
    return [
        [
            rma.id,
            rma.number,
            rma.order_id,
            rma.status.value,
            rma.reason,
            sku,
            plain(quantity),
            chosen[sku].value if sku in chosen else None,
            rma.note,
            rma.created_at,
            rma.received_at,
        ]
        for sku, quantity in rma.lines.items()
    ]


@router.get("/exports/returns.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_returns(
    runtime: RuntimeDep, order_id: OrderIdQuery = None, status: ReturnStatus | None = None
) -> StreamingResponse:
    """Customers' returns, oldest first, with the filters of `GET /returns`: one row per line."""

    async def page(
        uow: UnitOfWork, after: tuple[datetime, str] | None
    ) -> Page[ReturnAuthorisation]:
        return await returns.list_returns(
            uow, limit=EXPORT_PAGE, after=after, order_id=order_id, status=status
        )

    found = paged(_reader(runtime, page), _created_at_and_id)
    return csv_response("returns.csv", RETURN_COLUMNS, line_rows_of(found, _return_rows))


# --- lists read whole (no pagination in their list either) ------------------------------------


def _whole(items: Sequence[T]) -> Page[T]:
    return items, False


WAREHOUSE_COLUMNS = ("code", "name", "priority", "is_default", "active", "created_at")


def _warehouse_row(warehouse: Warehouse) -> list[Any]:
    return [
        warehouse.code,
        warehouse.name,
        warehouse.priority,
        "true" if warehouse.is_default else "false",
        "true" if warehouse.active else "false",
        warehouse.created_at,
    ]


@router.get("/exports/warehouses.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_warehouses(runtime: RuntimeDep) -> StreamingResponse:
    """Every warehouse in the order of `GET /warehouses` (the default, then by priority,
    inactive ones last), one row each."""

    async def page(uow: UnitOfWork, after: None) -> Page[Warehouse]:
        return _whole(await warehouses.list_warehouses(uow))

    found = paged(_reader(runtime, page), lambda _: None)
    return csv_response("warehouses.csv", WAREHOUSE_COLUMNS, rows_of(found, _warehouse_row))


SUGGESTION_COLUMNS = (
    "warehouse",
    "sku",
    "available",
    "on_order",
    "reorder_point",
    "quantity",
    "vendor_id",
    "currency",
    "purchase_price",
    "lead_time_days",
)

Priced = tuple[Suggestion, str | None]  # with the currency of its vendor's price


def _suggestion_row(priced: Priced) -> list[Any]:
    suggestion, currency = priced
    offer = suggestion.offer
    return [
        suggestion.warehouse,
        suggestion.sku,
        plain(suggestion.available),
        plain(suggestion.on_order),
        plain(suggestion.reorder_point),
        plain(suggestion.quantity),
        offer.vendor_id if offer else None,
        currency,
        in_currency(offer.purchase_price, currency) if offer else None,
        offer.lead_time_days if offer else None,
    ]


@router.get(
    "/exports/purchase-suggestions.csv", response_class=StreamingResponse, responses=CSV_ANSWER
)
async def export_purchase_suggestions(runtime: RuntimeDep) -> StreamingResponse:
    """The suggested purchases as `GET /purchase-suggestions` answers them, one row each, with the
    currency of the suggested vendor's price."""

    async def page(uow: UnitOfWork, after: None) -> Page[Priced]:
        found = await purchasing.suggest_purchases(uow)
        currencies: dict[str, str | None] = {}
        for offer in {s.offer.vendor_id for s in found if s.offer}:
            vendor = await uow.vendors.get(offer)
            currencies[offer] = vendor.currency if vendor else None
        return _whole([(s, currencies[s.offer.vendor_id] if s.offer else None) for s in found])

    found = paged(_reader(runtime, page), lambda _: None)
    rows = rows_of(found, _suggestion_row)
    return csv_response("purchase-suggestions.csv", SUGGESTION_COLUMNS, rows)
