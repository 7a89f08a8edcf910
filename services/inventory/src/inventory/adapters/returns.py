"""Returns (RMA) and their lines, in SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.engine import Row

from inventory.adapters.purchasing_tables import return_lines, return_number_counters, returns
from inventory.domain.returns import Disposition, ReturnAuthorisation, ReturnStatus
from inventory.service_layer.ports import Page
from servicekit.numbering import format_yearly_number, next_in_year
from servicekit.unit_of_work import SqlRepository


class SqlReturnRepository(SqlRepository):
    async def next_number(self, year: int) -> str:
        sequence = await next_in_year(self.session, return_number_counters, year)
        return format_yearly_number("RMA", year, sequence)

    async def add(self, rma: ReturnAuthorisation) -> ReturnAuthorisation:
        await self.session.execute(
            returns.insert().values(
                id=rma.id,
                number=rma.number,
                order_id=rma.order_id,
                reason=rma.reason,
                status=rma.status.value,
            )
        )
        await self.session.execute(
            return_lines.insert(),
            [{"return_id": rma.id, "sku": sku, "quantity": q} for sku, q in rma.lines.items()],
        )
        stored = await self.get(rma.id)
        assert stored is not None
        return stored

    async def get(self, return_id: str, *, for_update: bool = False) -> ReturnAuthorisation | None:
        query = select(returns).where(returns.c.id == return_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return (await self._with_lines([row]))[0] if row is not None else None

    async def save(self, rma: ReturnAuthorisation) -> ReturnAuthorisation:
        received = rma.status is ReturnStatus.RECEIVED and rma.received_at is None
        await self.session.execute(
            update(returns)
            .where(returns.c.id == rma.id)
            .values(
                status=rma.status.value,
                note=rma.note,
                updated_at=func.now(),
                **({"received_at": func.now()} if received else {}),
            )
        )
        for sku, disposition in (rma.dispositions or {}).items():
            await self.session.execute(
                update(return_lines)
                .where(return_lines.c.return_id == rma.id, return_lines.c.sku == sku)
                .values(disposition=disposition.value)
            )
        stored = await self.get(rma.id)
        assert stored is not None
        return stored

    async def returned(self, order_id: str) -> dict[str, Decimal]:
        """Per SKU, what the order's returns (but cancelled ones) take back."""
        rows = await self.session.execute(
            select(return_lines.c.sku, func.sum(return_lines.c.quantity))
            .join(returns, returns.c.id == return_lines.c.return_id)
            .where(returns.c.order_id == order_id, returns.c.status != ReturnStatus.CANCELLED.value)
            .group_by(return_lines.c.sku)
        )
        return {sku: total for sku, total in rows}

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        order_id: str | None,
        status: ReturnStatus | None,
    ) -> Page[ReturnAuthorisation]:
        query = select(returns).order_by(returns.c.created_at, returns.c.id).limit(limit + 1)
        if after is not None:
            query = query.where(tuple_(returns.c.created_at, returns.c.id) > tuple_(*after))
        if order_id is not None:
            query = query.where(returns.c.order_id == order_id)
        if status is not None:
            query = query.where(returns.c.status == status.value)
        rows = list((await self.session.execute(query)).all())
        return await self._with_lines(rows[:limit]), len(rows) > limit

    async def _with_lines(self, rows: list[Row[Any]]) -> list[ReturnAuthorisation]:
        quantities: dict[str, dict[str, Decimal]] = {row.id: {} for row in rows}
        chosen: dict[str, dict[str, Disposition]] = {row.id: {} for row in rows}
        if quantities:
            for line in await self.session.execute(
                select(return_lines)
                .where(return_lines.c.return_id.in_(list(quantities)))
                .order_by(return_lines.c.return_id, return_lines.c.sku)
            ):
                quantities[line.return_id][line.sku] = line.quantity
                if line.disposition is not None:
                    chosen[line.return_id][line.sku] = Disposition(line.disposition)
        return [
            ReturnAuthorisation(
                id=row.id,
                number=row.number,
                order_id=row.order_id,
                reason=row.reason,
                lines=quantities[row.id],
                status=ReturnStatus(row.status),
                dispositions=chosen[row.id] or None,
                note=row.note,
                created_at=row.created_at,
                received_at=row.received_at,
            )
            for row in rows
        ]
