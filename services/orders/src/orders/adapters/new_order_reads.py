"""What a new order names, read in one round trip before its use case runs: its customer and
its catalogue items. The unit of work's repositories keep them and answer the use case's reads
of them from what was read (the customers repository's `known_rows`, as for a customer read
along with an order; `SqlCatalogueRepository.know`), as of this statement's snapshot, as reads
of their own would."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import column, text
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.catalogue import ITEM_COLUMNS, SqlCatalogueRepository
from orders.adapters.customers import SqlCustomerRepository, keep_read_along, read_along
from orders.adapters.rows import canonical_id
from orders.adapters.tables import catalogue_items, customers

_CUSTOMER_SELECTED, _CUSTOMER_DECLARED = read_along("c")

# The customer (its columns NULL when there is none) and the items, as an array of rows (asyncpg
# reads each as a tuple of the columns' values, in their own types). Built once.
_READ = text(
    f"""
    SELECT {", ".join(_CUSTOMER_SELECTED)},
        ARRAY(SELECT ROW({", ".join(f"i.{name}" for name in ITEM_COLUMNS)})
              FROM {catalogue_items.name} i
              WHERE i.sku = ANY(CAST(:skus AS text[]))) AS items
    FROM (SELECT CAST(:customer_id AS uuid) AS id) wanted
    LEFT JOIN {customers.name} c ON c.id = wanted.id
    """  # noqa: S608 (constants: the columns and tables are ours)
).columns(*_CUSTOMER_DECLARED, column("items"))


async def read_ahead(
    session: AsyncSession,
    customers_repository: SqlCustomerRepository,
    catalogue: SqlCatalogueRepository,
    customer_id: str | None,
    skus: Collection[str],
) -> None:
    """Read the customer (if its id is one) and the items of `skus` in one statement, and hand
    them to their repositories."""
    wanted = None if customer_id is None else canonical_id(customer_id)
    row = (await session.execute(_READ, {"customer_id": wanted, "skus": sorted(skus)})).one()
    keep_read_along(customers_repository.known_rows, row)
    catalogue.know(skus, row.items)
