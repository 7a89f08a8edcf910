"""A customer's contacts on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, select

from orders.adapters.rows import row_by_id, upserting
from orders.adapters.tables import customer_contacts
from orders.domain.contacts import Contact
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository


class SqlContactRepository(SqlRepository):
    async def of_customer(self, customer_id: str) -> list[Contact]:
        rows = await self.session.execute(
            select(customer_contacts)
            .where(customer_contacts.c.customer_id == customer_id)
            .order_by(customer_contacts.c.name, customer_contacts.c.id)
        )
        return [copied(Contact, row) for row in rows]

    async def of_customers(self, customer_ids: list[str]) -> list[Contact]:
        """The contacts of these customers, by customer (in `customer_ids` order) and name."""
        if not customer_ids:
            return []
        rows = await self.session.execute(
            select(customer_contacts)
            .where(customer_contacts.c.customer_id.in_(customer_ids))
            .order_by(customer_contacts.c.name, customer_contacts.c.id)
        )
        order = {customer_id: index for index, customer_id in enumerate(customer_ids)}
        found = [copied(Contact, row) for row in rows]
        return sorted(found, key=lambda contact: order[contact.customer_id])

    async def get(self, contact_id: str) -> Contact | None:
        row = await row_by_id(self.session, customer_contacts, contact_id)
        return None if row is None else copied(Contact, row)

    async def save(self, contact: Contact) -> None:
        values = {
            "customer_id": contact.customer_id,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "position": contact.position,
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
        }
        saving = upserting(customer_contacts, tuple(values))
        await self.session.execute(saving, {"id": contact.id, **values})

    async def delete(self, contact_id: str) -> None:
        await self.session.execute(
            delete(customer_contacts).where(customer_contacts.c.id == contact_id)
        )
