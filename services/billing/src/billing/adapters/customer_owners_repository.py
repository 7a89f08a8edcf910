"""Billing's view of who owns each customer, and the SQL condition a viewer reads through."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.customer_owner_tables import customer_owners
from billing.service_layer.customer_owners import CustomerOwner
from servicekit.unit_of_work import SqlRepository
from servicekit.visibility import Viewer


def visible_customers(customer_id: Any, viewer: Viewer) -> ColumnElement[bool]:
    """`customer_id` (a column) names a customer the viewer may see: all, or those the view
    says they (or their team) own. A customer the view does not know is seen by all only."""
    if viewer.sees_all:
        return true()
    seen = [customer_owners.c.owner == viewer.subject]
    if viewer.visibility == "team" and viewer.team is not None:
        seen.append(customer_owners.c.team == viewer.team)
    owned = select(customer_owners.c.customer_id).where(or_(*seen))
    condition: ColumnElement[bool] = customer_id.in_(owned)
    return condition


class SqlCustomerOwners(SqlRepository):
    async def get(self, customer_id: str) -> CustomerOwner | None:
        query = select(customer_owners).where(customer_owners.c.customer_id == customer_id)
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return CustomerOwner(
            customer_id=row["customer_id"],
            name=row["name"],
            owner=row["owner"],
            team=row["team"],
            sequence=row["sequence"],
        )

    async def put(self, owner: CustomerOwner) -> bool:
        """Insert or update the customer's row unless it holds a newer sequence already."""
        values = {
            "customer_id": owner.customer_id,
            "name": owner.name,
            "owner": owner.owner,
            "team": owner.team,
            "sequence": owner.sequence,
        }
        statement = insert(customer_owners).values(**values)
        newer = or_(
            customer_owners.c.sequence.is_(None),
            statement.excluded.sequence.is_(None),
            customer_owners.c.sequence < statement.excluded.sequence,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[customer_owners.c.customer_id],
            set_={
                **{k: statement.excluded[k] for k in values if k != "customer_id"},
                "updated_at": func.now(),
            },
            where=newer,
        ).returning(customer_owners.c.customer_id)
        return (await self.session.execute(upsert)).first() is not None
