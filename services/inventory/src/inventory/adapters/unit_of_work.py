"""The unit of work over the caller's SQLAlchemy session: repositories and the outbox."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Select, Table
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from inventory.adapters.adjustments import SqlAdjustmentRepository
from inventory.adapters.products import SqlProductRepository
from inventory.adapters.purchase_orders import SqlPurchaseOrderRepository
from inventory.adapters.reorder_points import SqlReorderPointRepository
from inventory.adapters.reservations import (
    SqlReservationRepository,
    claiming_reservation,
    demand_parameters,
    line_parameters,
    saved_line_parameters,
)
from inventory.adapters.returns import SqlReturnRepository
from inventory.adapters.revisions import SqlRevisionRepository
from inventory.adapters.shipments import SqlShipmentRepository, dispatching, shipment_parameters
from inventory.adapters.stock_levels import SqlStockLevelRepository, moved_parameters
from inventory.adapters.stock_overview import SqlStockOverview
from inventory.adapters.tables import metadata
from inventory.adapters.vendors import SqlVendorRepository
from inventory.adapters.warehouses import SqlTransferRepository, SqlWarehouseRepository
from inventory.domain.model import LineStatus, ReservationLine
from inventory.domain.records import Move, NewShipment, OrderDemand
from servicekit.outbox import numbered_outbox_row, wake_relay_after_commit
from servicekit.unit_of_work import SqlUnitOfWorkBase


class Recording(Protocol):
    """A builder of one statement that writes an event's effects and records it (built
    once)."""

    def __call__(self, outbox: Table, sequences: Table) -> Select[Any]: ...


class SqlUnitOfWork(SqlUnitOfWorkBase):
    """Reads and writes in `session`; the transaction (and its commit) stays with the caller."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, metadata)

    # The repositories are made when first used: the consumer makes a unit of work for every
    # event, and a reservation uses four of the thirteen.

    @functools.cached_property
    def products(self) -> SqlProductRepository:
        return SqlProductRepository(self.session)

    @functools.cached_property
    def stock(self) -> SqlStockLevelRepository:
        return SqlStockLevelRepository(self.session)

    @functools.cached_property
    def reservations(self) -> SqlReservationRepository:
        return SqlReservationRepository(self.session)

    @functools.cached_property
    def shipments(self) -> SqlShipmentRepository:
        return SqlShipmentRepository(self.session)

    @functools.cached_property
    def revisions(self) -> SqlRevisionRepository:
        return SqlRevisionRepository(self.session)

    @functools.cached_property
    def adjustments(self) -> SqlAdjustmentRepository:
        return SqlAdjustmentRepository(self.session)

    @functools.cached_property
    def vendors(self) -> SqlVendorRepository:
        return SqlVendorRepository(self.session)

    @functools.cached_property
    def purchase_orders(self) -> SqlPurchaseOrderRepository:
        return SqlPurchaseOrderRepository(self.session)

    @functools.cached_property
    def returns(self) -> SqlReturnRepository:
        return SqlReturnRepository(self.session)

    @functools.cached_property
    def reorder_points(self) -> SqlReorderPointRepository:
        return SqlReorderPointRepository(self.session)

    @functools.cached_property
    def stock_overview(self) -> SqlStockOverview:
        return SqlStockOverview(self.session)

    @functools.cached_property
    def warehouses(self) -> SqlWarehouseRepository:
        return SqlWarehouseRepository(self.session)

    @functools.cached_property
    def transfers(self) -> SqlTransferRepository:
        return SqlTransferRepository(self.session)

    async def claim_reserved(
        self,
        demand: OrderDemand,
        *,
        causation_id: str | None,
        moves: Sequence[Move],
        lines: Mapping[str, Decimal],
        warehouses: Mapping[str, str],
        event: CloudEvent[Any],
    ) -> bool:
        """Claim the order's demand and, if claimed now, save its reserved levels with their
        movements, add its reserved lines and record `event`: one statement
        (`claiming_reservation`). False, and nothing written, if it was claimed before."""
        parameters = (
            demand_parameters(demand, causation_id)
            | moved_parameters(moves)
            | line_parameters(LineStatus.RESERVED, lines, warehouses)
        )
        claimed = await self._recording(claiming_reservation, parameters, event)
        return claimed is not None

    async def ship(
        self,
        shipment: NewShipment,
        *,
        saved_lines: Sequence[ReservationLine],
        moves: Sequence[Move],
        event: CloudEvent[Any],
    ) -> datetime:
        """Add the shipment, write back the reservation lines it ships from, save the levels it
        takes from with their movements and record `event`: one statement (`dispatching`).
        Returns the shipment's creation time."""
        parameters = (
            shipment_parameters(shipment)
            | saved_line_parameters(saved_lines)
            | moved_parameters(moves)
        )
        created_at: datetime = await self._recording(dispatching, parameters, event)
        return created_at

    async def _recording(
        self, statement_of: Recording, parameters: dict[str, Any], event: CloudEvent[Any]
    ) -> Any:
        """Send the statement `statement_of` builds with `parameters`, where it records `event`
        too (the relay woken after the commit); its one row's one value."""
        if self.sequences is None:  # never: the inventory numbers its events (ADR 8)
            raise RuntimeError("the inventory's schema declares no event counters")
        statement = statement_of(self.outbox, self.sequences)
        parameters = parameters | numbered_outbox_row(event)
        value = (await self.session.execute(statement, parameters)).scalar_one()
        wake_relay_after_commit(self.session)
        return value

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """SAVEPOINT … ROLLBACK TO on an exception, which also releases the locks taken since."""
        async with self.session.begin_nested():
            yield
