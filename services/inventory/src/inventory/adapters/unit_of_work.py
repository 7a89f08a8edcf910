"""The unit of work over the caller's SQLAlchemy session: repositories and the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.adjustments import SqlAdjustmentRepository
from inventory.adapters.products import SqlProductRepository
from inventory.adapters.purchase_orders import SqlPurchaseOrderRepository
from inventory.adapters.reorder_points import SqlReorderPointRepository
from inventory.adapters.reservations import SqlReservationRepository
from inventory.adapters.returns import SqlReturnRepository
from inventory.adapters.revisions import SqlRevisionRepository
from inventory.adapters.shipments import SqlShipmentRepository
from inventory.adapters.stock_levels import SqlStockLevelRepository
from inventory.adapters.stock_overview import SqlStockOverview
from inventory.adapters.tables import metadata
from inventory.adapters.vendors import SqlVendorRepository
from inventory.adapters.warehouses import SqlTransferRepository, SqlWarehouseRepository
from servicekit.unit_of_work import SqlUnitOfWorkBase


class SqlUnitOfWork(SqlUnitOfWorkBase):
    """Reads and writes in `session`; the transaction (and its commit) stays with the caller."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, metadata)
        self.products = SqlProductRepository(session)
        self.stock = SqlStockLevelRepository(session)
        self.reservations = SqlReservationRepository(session)
        self.shipments = SqlShipmentRepository(session)
        self.revisions = SqlRevisionRepository(session)
        self.adjustments = SqlAdjustmentRepository(session)
        self.vendors = SqlVendorRepository(session)
        self.purchase_orders = SqlPurchaseOrderRepository(session)
        self.returns = SqlReturnRepository(session)
        self.reorder_points = SqlReorderPointRepository(session)
        self.stock_overview = SqlStockOverview(session)
        self.warehouses = SqlWarehouseRepository(session)
        self.transfers = SqlTransferRepository(session)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """SAVEPOINT … ROLLBACK TO on an exception, which also releases the locks taken since."""
        async with self.session.begin_nested():
            yield
