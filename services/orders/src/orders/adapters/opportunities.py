"""CRM opportunities as the orders and quotes that name them made them known."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from orders.adapters.tables import opportunities
from orders.domain.customer import Opportunity
from servicekit.unit_of_work import SqlRepository


class SqlOpportunityRepository(SqlRepository):
    async def get(self, opportunity_id: str) -> Opportunity | None:
        row = (
            await self.session.execute(
                select(opportunities).where(opportunities.c.id == opportunity_id)
            )
        ).first()
        return None if row is None else Opportunity(row.id, row.name, row.customer_id)

    async def upsert(self, opportunity: Opportunity) -> None:
        statement = insert(opportunities).values(
            id=opportunity.id, name=opportunity.name, customer_id=opportunity.customer_id
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[opportunities.c.id],
                set_={
                    "name": statement.excluded.name,
                    "customer_id": func.coalesce(
                        statement.excluded.customer_id, opportunities.c.customer_id
                    ),
                    "updated_at": func.now(),
                },
            )
        )
