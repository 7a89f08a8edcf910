"""External references on PostgreSQL: what other systems call our records."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import UUID

from orders.adapters.tables import (
    customer_contacts,
    customers,
    external_references,
    price_lists,
)
from servicekit.db import any_of
from servicekit.unit_of_work import SqlRepository

_ADD_REFERENCE = external_references.insert()  # built once: it runs directly (ADR 51)


class SqlExternalReferences(SqlRepository):
    async def known(self, kind: str, references: Collection[str]) -> dict[str, str]:
        """The references among `references` that name a record already: reference -> id.

        A reference that is the id of an existing customer (price list, contact) names that
        record: an export of records created here (whose reference is their id) imports back
        without duplicates.
        """
        if not references:
            return {}
        table = external_references.c
        rows = await self.session.execute(
            select(table.reference, table.entity_id).where(
                table.kind == kind, table.reference == any_of(references, String())
            )
        )
        found = {row.reference: row.entity_id for row in rows}
        table_of_kind = {
            "customer": customers,
            "price_list": price_lists,
            "contact": customer_contacts,
        }.get(kind)
        if table_of_kind is not None:
            ids = [ref for ref in references if ref not in found and _is_uuid(ref)]
            if ids:
                existing = await self.session.execute(
                    select(table_of_kind.c.id).where(
                        table_of_kind.c.id == any_of(ids, UUID(as_uuid=False))
                    )
                )
                found.update({entity_id: entity_id for entity_id in existing.scalars()})
        return found

    async def add(self, kind: str, reference: str, entity_id: str) -> None:
        parameters = {"kind": kind, "reference": reference, "entity_id": entity_id}
        await self.session.execute(_ADD_REFERENCE, parameters)

    async def of_entities(self, kind: str, ids: Collection[str]) -> dict[str, str]:
        """The references of these records: id -> reference (records without one left out)."""
        if not ids:
            return {}
        table = external_references.c
        rows = await self.session.execute(
            select(table.entity_id, table.reference).where(
                table.kind == kind, table.entity_id == any_of(ids, UUID(as_uuid=False))
            )
        )
        return {row.entity_id: row.reference for row in rows}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
