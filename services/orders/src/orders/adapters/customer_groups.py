"""Customer groups on PostgreSQL (price lists key on their code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from orders.adapters.tables import customer_groups, customers
from orders.domain.customer import CustomerGroup
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository


def _group(row: Row[Any]) -> CustomerGroup:
    return copied(CustomerGroup, row)


class SqlCustomerGroupRepository(SqlRepository):
    async def add(self, group: CustomerGroup) -> bool:
        inserted = await self.session.execute(
            insert(customer_groups)
            .values(
                code=group.code,
                name=group.name,
                description=group.description,
                created_at=group.created_at,
            )
            .on_conflict_do_nothing(index_elements=[customer_groups.c.code])
            .returning(customer_groups.c.code)
        )
        return inserted.first() is not None

    async def get(self, code: str, *, for_update: bool = False) -> CustomerGroup | None:
        query = select(customer_groups).where(customer_groups.c.code == code)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return None if row is None else _group(row)

    async def all(self) -> list[CustomerGroup]:
        rows = await self.session.execute(select(customer_groups).order_by(customer_groups.c.code))
        return [_group(row) for row in rows]

    async def save(self, group: CustomerGroup) -> None:
        await self.session.execute(
            update(customer_groups)
            .where(customer_groups.c.code == group.code)
            .values(name=group.name, description=group.description)
        )

    async def in_use(self, code: str) -> bool:
        query = select(exists().where(customers.c.group_code == code))
        return bool((await self.session.execute(query)).scalar())

    async def delete(self, code: str) -> None:
        await self.session.execute(delete(customer_groups).where(customer_groups.c.code == code))
