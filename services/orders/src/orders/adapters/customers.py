"""The customers and their address books on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, distinct_on
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from orders.adapters.ownership import ownership_conditions
from orders.adapters.rows import (
    address_from_json,
    address_to_json,
    canonical_id,
    escape_like,
    row_by_id,
    upserting,
)
from orders.adapters.tables import (
    customer_addresses,
    customer_contacts,
    customers,
    opportunities,
    order_timeline,
    orders,
    quotes,
)
from orders.domain.addresses import AddressKind, CustomerAddress
from orders.domain.customer import Customer
from orders.service_layer.ports import CustomerFilters
from servicekit.unit_of_work import SqlRepository, transaction_memo


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        email=row.email,
        created_at=row.created_at,
        billing_address=address_from_json(row.billing_address),
        shipping_address=address_from_json(row.shipping_address),
        owner=row.owner,
        team=row.team,
        group=row.group_code,
        tax_id=row.tax_id,
        archived_at=row.archived_at,
        updated_at=row.updated_at,
    )


def _changeable_values(customer: Customer) -> dict[str, Any]:
    """The columns a customer's later changes write (id and creation time never change)."""
    return {
        "name": customer.name,
        "email": customer.email,
        "billing_address": address_to_json(customer.billing_address),
        "shipping_address": address_to_json(customer.shipping_address),
        "owner": customer.owner,
        "team": customer.team,
        "group_code": customer.group,
        "tax_id": customer.tax_id,
        "archived_at": customer.archived_at,
        "updated_at": customer.updated_at,
    }


# A customer's row read along with another statement's rows, each column named with a prefix.
_COLUMN_NAMES = tuple(column.name for column in customers.c)
_READ_ALONG_PREFIX = "customer_row_"


def read_along(alias: str) -> tuple[list[str], list[ColumnClause[Any]]]:
    """For a textual statement that reads the customer as `alias`: the SQL of its columns, each
    named with a prefix, and the columns to declare for them (types included, so each value is
    read as a read of the table's gives it). `keep_read_along` takes the row they read."""
    selected = [f"{alias}.{name} AS {_READ_ALONG_PREFIX}{name}" for name in _COLUMN_NAMES]
    declared = [column(_READ_ALONG_PREFIX + name, customers.c[name].type) for name in _COLUMN_NAMES]
    return selected, declared


def keep_read_along(known_rows: dict[str, Any], row: Row[Any]) -> None:
    """Keep in `known_rows` (a customers repository's) the customer's row that `row` read along
    (`read_along`), shaped as a read of the table's own and as of that statement's snapshot, as
    a read of its own would be; nothing when it read none."""
    if getattr(row, _READ_ALONG_PREFIX + "id") is None:
        return
    read = SimpleNamespace(
        **{name: getattr(row, _READ_ALONG_PREFIX + name) for name in _COLUMN_NAMES}
    )
    known_rows[read.id] = read


# The first customer of each e-mail (the `emails` parameter, lower-cased), as `find_by_email`
# finds one: one statement for a consumed batch's submissions (`read_ahead_by_email`).
_FIRST_BY_EMAIL = (
    select(customers, func.lower(customers.c.email).label("email_key"))
    .where(func.lower(customers.c.email) == bindparam("emails", type_=ARRAY(String)).any_())
    .order_by(func.lower(customers.c.email), customers.c.created_at, customers.c.id)
    .ext(distinct_on(func.lower(customers.c.email)))
)
# The first customer of each e-mail found in the transaction, by lower-cased e-mail (None: no
# customer has it), as `find_by_email` and `read_ahead_by_email` found them.
_BY_EMAIL = "orders.customers_by_email"

# Built once, so that they run directly (ADR 51): the columns follow the parameters given.
_ADD_CUSTOMER = customers.insert()
# An address's columns a save writes, besides its id.
_ADDRESS_VALUES = (
    "customer_id",
    "kind",
    "label",
    "address",
    "is_default",
    "created_at",
    "updated_at",
)

# Some customers by id (the `ids` parameter), built once: one statement whatever their number.
_CUSTOMERS = select(customers).where(
    customers.c.id == bindparam("ids", type_=ARRAY(UUID(as_uuid=False))).any_()
)


class SqlCustomerRepository(SqlRepository):
    """Customers; rows read by id are kept for the rest of the unit of work (a confirmation
    reads its customer for the event's snapshot and again for its answer), until it writes one.
    Each read still builds its own `Customer`, so a change made to one is not seen by another
    until it is saved."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._rows: dict[str, Any] = {}  # rows by id, as read (or read along with an order)

    @property
    def known_rows(self) -> dict[str, Any]:
        """The rows it read and keeps, by id: another repository of the unit of work that
        reads a customer along with its own rows adds it here (a row of every column)."""
        return self._rows

    async def add(self, customer: Customer) -> None:
        self._rows.clear()
        transaction_memo(self.session, _BY_EMAIL).pop(customer.email.lower(), None)
        await self.session.execute(
            _ADD_CUSTOMER,
            {"id": customer.id, "created_at": customer.created_at, **_changeable_values(customer)},
        )

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer | None:
        known = self._rows.get(canonical_id(customer_id) or "")
        if known is not None and not for_update:  # a lock needs its own statement
            return _customer(known)
        row = await row_by_id(self.session, customers, customer_id, for_update=for_update)
        if row is None:
            return None
        self._rows[row.id] = row
        return _customer(row)

    async def save(self, customer: Customer) -> None:
        self._rows.clear()
        self._forget_emails()
        await self.session.execute(
            customers.update()
            .where(customers.c.id == customer.id)
            .values(**_changeable_values(customer))
        )

    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]:
        wanted = sorted({c for c in map(canonical_id, customer_ids) if c is not None})
        if not wanted:
            return {}
        unknown = [customer_id for customer_id in wanted if customer_id not in self._rows]
        if unknown:
            rows = await self.session.execute(_CUSTOMERS, {"ids": unknown})
            self._rows.update((row.id, row) for row in rows)
        return {c: _customer(self._rows[c]) for c in wanted if c in self._rows}

    async def read_ahead_by_email(self, emails: Sequence[str]) -> None:
        """The first customer of each e-mail, read in one statement before a consumed batch's
        handlers run, for `find_by_email`."""
        wanted = sorted({email.lower() for email in emails})
        rows = await self.session.execute(_FIRST_BY_EMAIL, {"emails": wanted})
        known: dict[str, Any] = dict.fromkeys(wanted)
        known.update((row.email_key, row) for row in rows)  # lower-cased as the server does
        transaction_memo(self.session, _BY_EMAIL).update(known)

    def _forget_emails(self) -> None:
        transaction_memo(self.session, _BY_EMAIL).clear()

    async def find_by_email(self, email: str) -> Customer | None:
        """The first customer of `email` (in any case), found once per transaction: until the
        transaction adds a customer of that e-mail, or saves or deletes any. (A customer of the
        same e-mail that another transaction commits meanwhile is not seen; nothing keeps two
        customers from sharing an e-mail.)"""
        key = email.lower()
        known = transaction_memo(self.session, _BY_EMAIL)
        if key not in known:
            known[key] = (await self.session.execute(_FIRST_BY_EMAIL, {"emails": [key]})).first()
        row = known[key]
        if row is None:
            return None
        self._rows[row.id] = row  # a `get` of it needs no statement of its own
        return _customer(row)

    async def with_tax_id_or_email(
        self, tax_id: str | None, email: str | None, *, besides: str | None = None
    ) -> list[Customer]:
        matches = []
        if tax_id:
            matches.append(customers.c.tax_id == tax_id)
        if email:
            matches.append(func.lower(customers.c.email) == email.lower())
        if not matches:
            return []
        query = select(customers).where(or_(*matches)).order_by(customers.c.created_at)
        if besides is not None:
            query = query.where(customers.c.id != besides)
        return [_customer(row) for row in await self.session.execute(query.limit(20))]

    async def has_orders(self, customer_id: str) -> bool:
        named = or_(
            exists().where(orders.c.customer_id == customer_id),
            exists().where(quotes.c.customer_id == customer_id),
        )
        return bool((await self.session.execute(select(named))).scalar())

    async def delete(self, customer_id: str) -> None:
        self._rows.clear()
        self._forget_emails()
        await self.session.execute(
            opportunities.update()
            .where(opportunities.c.customer_id == customer_id)
            .values(customer_id=None)
        )
        for table in (customer_addresses, customer_contacts, order_timeline):
            await self.session.execute(delete(table).where(table.c.customer_id == customer_id))
        await self.session.execute(delete(customers).where(customers.c.id == customer_id))

    async def search(
        self, filters: CustomerFilters, *, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        query = select(customers).order_by(customers.c.name, customers.c.id).limit(limit)
        if filters.q:
            pattern = f"%{escape_like(filters.q)}%"
            query = query.where(
                or_(customers.c.name.ilike(pattern), customers.c.email.ilike(pattern))
            )
        if filters.group is not None:
            query = query.where(customers.c.group_code == filters.group)
        archived = customers.c.archived_at.is_not(None)
        query = query.where(archived if filters.archived else ~archived)
        for condition in ownership_conditions(
            customers, owner=filters.owner, team=filters.team, viewer=filters.viewer
        ):
            query = query.where(condition)
        if after is not None:
            name, last_id = after
            query = query.where(
                tuple_(customers.c.name, customers.c.id)
                > tuple_(
                    literal(name, customers.c.name.type), literal(last_id, customers.c.id.type)
                )
            )
        return [_customer(row) for row in await self.session.execute(query)]


def _address(row: Row[Any]) -> CustomerAddress:
    address = address_from_json(row.address)
    assert address is not None
    return CustomerAddress(
        id=row.id,
        customer_id=row.customer_id,
        kind=AddressKind(row.kind),
        address=address,
        label=row.label,
        is_default=row.is_default,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlAddressRepository(SqlRepository):
    async def of_customer(self, customer_id: str) -> list[CustomerAddress]:
        rows = await self.session.execute(
            select(customer_addresses)
            .where(customer_addresses.c.customer_id == customer_id)
            .order_by(customer_addresses.c.created_at, customer_addresses.c.id)
        )
        return [_address(row) for row in rows]

    async def get(self, address_id: str) -> CustomerAddress | None:
        row = await row_by_id(self.session, customer_addresses, address_id)
        return None if row is None else _address(row)

    async def save_all(
        self, customer_id: str, addresses: list[CustomerAddress], removed: set[str]
    ) -> None:
        if removed:
            await self.session.execute(
                delete(customer_addresses).where(
                    customer_addresses.c.customer_id == customer_id,
                    customer_addresses.c.id.in_(sorted(removed)),
                )
            )
        # Non-defaults first: the unique index on defaults is checked row by row.
        for address in sorted(addresses, key=lambda a: a.is_default):
            values = {
                "customer_id": address.customer_id,
                "kind": address.kind.value,
                "label": address.label,
                "address": address_to_json(address.address),
                "is_default": address.is_default,
                "created_at": address.created_at,
                "updated_at": address.updated_at,
            }
            saving = upserting(customer_addresses, _ADDRESS_VALUES)
            await self.session.execute(saving, {"id": address.id, **values})
