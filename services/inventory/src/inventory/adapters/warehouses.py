"""Warehouses and the transfers between them in SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from inventory.adapters.rows import record_of
from inventory.adapters.tables import transfer_lines, transfers, warehouses
from inventory.domain.warehouses import Transfer, TransferStatus, Warehouse
from inventory.service_layer.ports import Page
from servicekit.unit_of_work import SqlRepository, transaction_memo


class SqlWarehouseRepository(SqlRepository):
    """Warehouses; the list read is kept for the rest of the transaction (a batch of
    confirmations picks among the same warehouses order after order) until a warehouse is
    written or locked through this repository (`transaction_memo`). Each read still builds its
    own `Warehouse`s."""

    @property
    def _memo(self) -> dict[str, list[Row[Any]]]:
        return transaction_memo(self.session, "inventory.warehouses")

    async def all(self) -> list[Warehouse]:
        if (rows := self._memo.get("all")) is None:
            found = await self.session.execute(select(warehouses).order_by(warehouses.c.code))
            rows = self._memo["all"] = list(found)
        return [record_of(Warehouse, row) for row in rows]

    async def get(self, code: str, *, for_update: bool = False) -> Warehouse | None:
        query = select(warehouses).where(warehouses.c.code == code)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return record_of(Warehouse, row) if row is not None else None

    async def lock_all(self) -> list[Warehouse]:
        self._memo.clear()
        rows = await self.session.execute(
            select(warehouses).order_by(warehouses.c.code).with_for_update()
        )
        return [record_of(Warehouse, row) for row in rows]

    async def add(self, warehouse: Warehouse) -> Warehouse | None:
        self._memo.clear()
        row = (
            await self.session.execute(
                insert(warehouses)
                .values(
                    code=warehouse.code,
                    name=warehouse.name,
                    priority=warehouse.priority,
                    is_default=warehouse.is_default,
                    active=warehouse.active,
                )
                .on_conflict_do_nothing(index_elements=[warehouses.c.code])
                .returning(*warehouses.c)
            )
        ).first()
        return record_of(Warehouse, row) if row is not None else None

    async def save(self, warehouse: Warehouse) -> None:
        self._memo.clear()
        await self.session.execute(
            update(warehouses)
            .where(warehouses.c.code == warehouse.code)
            .values(
                name=warehouse.name,
                priority=warehouse.priority,
                active=warehouse.active,
                is_default=warehouse.is_default,
            )
        )


class SqlTransferRepository(SqlRepository):
    async def add(self, transfer: Transfer) -> datetime:
        created_at: datetime = (
            await self.session.execute(
                transfers.insert()
                .values(
                    id=transfer.id,
                    from_warehouse=transfer.from_warehouse,
                    to_warehouse=transfer.to_warehouse,
                    status=transfer.status.value,
                    note=transfer.note,
                )
                .returning(transfers.c.created_at)
            )
        ).scalar_one()
        await self.session.execute(
            transfer_lines.insert(),
            [
                {"transfer_id": transfer.id, "sku": sku, "quantity": quantity}
                for sku, quantity in sorted(transfer.lines.items())
            ],
        )
        return created_at

    async def get(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        query = select(transfers).where(transfers.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return (await self._with_lines([row]))[0] if row is not None else None

    async def save(self, transfer: Transfer) -> None:
        await self.session.execute(
            update(transfers)
            .where(transfers.c.id == transfer.id)
            .values(status=transfer.status.value, received_at=transfer.received_at)
        )

    async def in_transit_to(self, warehouse: str) -> list[str]:
        rows = await self.session.execute(
            select(transfers.c.id)
            .where(
                transfers.c.to_warehouse == warehouse,
                transfers.c.status == TransferStatus.IN_TRANSIT.value,
            )
            .order_by(transfers.c.created_at, transfers.c.id)
        )
        return [row.id for row in rows]

    async def page(
        self, *, limit: int, status: str | None, after: tuple[datetime, str] | None
    ) -> Page[Transfer]:
        query = select(transfers).order_by(transfers.c.created_at, transfers.c.id).limit(limit + 1)
        if status is not None:
            query = query.where(transfers.c.status == status)
        if after is not None:
            query = query.where(tuple_(transfers.c.created_at, transfers.c.id) > tuple_(*after))
        rows = list((await self.session.execute(query)).all())
        return await self._with_lines(rows[:limit]), len(rows) > limit

    async def _with_lines(self, rows: list[Row[Any]]) -> list[Transfer]:
        lines: dict[str, dict[str, Decimal]] = defaultdict(dict)
        ids = [row.id for row in rows]
        if ids:
            found = await self.session.execute(
                select(transfer_lines).where(transfer_lines.c.transfer_id.in_(ids))
            )
            for line in found:
                lines[line.transfer_id][line.sku] = line.quantity
        return [
            record_of(
                Transfer,
                row,
                status=TransferStatus(row.status),
                lines=dict(sorted(lines[row.id].items())),
            )
            for row in rows
        ]
