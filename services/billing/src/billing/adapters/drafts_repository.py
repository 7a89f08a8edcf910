"""PostgreSQL storage of draft invoices and their priced lines."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import RowMapping, func, select, tuple_

from billing.adapters.draft_tables import invoice_draft_lines, invoice_drafts
from billing.adapters.invoices_repository import line_of
from billing.domain.drafts import DraftStatus, InvoiceDraft
from billing.domain.model import Customer
from billing.service_layer.drafts import DraftFilter, DraftPosition
from servicekit.unit_of_work import SqlRepository


class SqlInvoiceDrafts(SqlRepository):
    async def get(self, draft_id: str, *, for_update: bool = False) -> InvoiceDraft | None:
        query = select(invoice_drafts).where(invoice_drafts.c.id == draft_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return (await self._assemble([row]))[0] if row is not None else None

    async def add(self, draft: InvoiceDraft) -> None:
        stamps = (
            await self.session.execute(
                invoice_drafts.insert()
                .values(
                    id=draft.id,
                    order_id=draft.order_id,
                    order_number=draft.order_number,
                    customer_id=draft.customer.id,
                    customer_name=draft.customer.name,
                    customer_email=draft.customer.email,
                    currency=draft.currency,
                    status=draft.status.value,
                    reason=draft.reason,
                )
                .returning(invoice_drafts.c.created_at, invoice_drafts.c.updated_at)
            )
        ).one()
        draft.created_at, draft.updated_at = stamps
        await self._add_lines(draft)

    async def save(self, draft: InvoiceDraft) -> None:
        draft.updated_at = (
            await self.session.execute(
                invoice_drafts.update()
                .where(invoice_drafts.c.id == draft.id)
                .values(status=draft.status.value, reason=draft.reason, updated_at=func.now())
                .returning(invoice_drafts.c.updated_at)
            )
        ).scalar_one()
        await self.session.execute(
            invoice_draft_lines.delete().where(invoice_draft_lines.c.draft_id == draft.id)
        )
        await self._add_lines(draft)

    async def _add_lines(self, draft: InvoiceDraft) -> None:
        if draft.lines:
            await self.session.execute(
                invoice_draft_lines.insert(),
                [{"draft_id": draft.id, **dataclasses.asdict(line)} for line in draft.lines],
            )

    async def search(
        self, where: DraftFilter, *, limit: int, after: DraftPosition | None = None
    ) -> list[InvoiceDraft]:
        query = select(invoice_drafts)
        if where.order_id is not None:
            query = query.where(invoice_drafts.c.order_id == where.order_id)
        if where.status is not None:
            query = query.where(invoice_drafts.c.status == where.status.value)
        if after is not None:
            query = query.where(
                tuple_(invoice_drafts.c.created_at, invoice_drafts.c.id)
                < tuple_(after.created_at, after.id)
            )
        query = query.order_by(
            invoice_drafts.c.created_at.desc(), invoice_drafts.c.id.desc()
        ).limit(limit)
        return await self._assemble((await self.session.execute(query)).mappings().all())

    async def _assemble(self, rows: Sequence[RowMapping]) -> list[InvoiceDraft]:
        if not rows:
            return []
        query = (
            select(invoice_draft_lines)
            .where(invoice_draft_lines.c.draft_id.in_([row["id"] for row in rows]))
            .order_by(invoice_draft_lines.c.draft_id, invoice_draft_lines.c.line_no)
        )
        lines: dict[str, list[RowMapping]] = defaultdict(list)
        for line in (await self.session.execute(query)).mappings():
            lines[line["draft_id"]].append(line)
        return [
            InvoiceDraft(
                id=row["id"],
                order_id=row["order_id"],
                order_number=row["order_number"],
                customer=Customer(
                    id=row["customer_id"], name=row["customer_name"], email=row["customer_email"]
                ),
                currency=row["currency"],
                lines=[line_of(line, row["currency"], "draft_id") for line in lines[row["id"]]],
                status=DraftStatus(row["status"]),
                reason=row["reason"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]
