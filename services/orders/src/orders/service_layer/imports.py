"""Importing records from other systems' files: all or nothing, idempotent by their reference.

The entrypoint reads and validates the file (every row's errors by line and column); the use
case here gets the valid rows, skips those whose external reference is known already and, unless
it is a dry run, creates the rest in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from orders.domain.errors import InvalidOrder
from orders.domain.price_lists import InvalidPriceList, OverlappingPriceList
from orders.service_layer.contacts import NewContact, add_contact
from orders.service_layer.customers import CustomerNotFound, NewCustomer, create_customer
from orders.service_layer.events import utcnow
from orders.service_layer.orders import NewOrder, create_order
from orders.service_layer.ownership import visible
from orders.service_layer.price_lists import NewPriceList, create_price_list
from orders.service_layer.unit_of_work import UnitOfWork
from servicekit.csvfiles import CellError, ImportReport
from servicekit.import_jobs import PROGRESS_EVERY, Progress

CUSTOMER = "customer"
CONTACT = "contact"
ORDER = "order"
PRICE_LIST = "price_list"


class ExternalReferences(Protocol):
    async def known(self, kind: str, references: Collection[str]) -> dict[str, str]:
        """reference -> the id of the record it names, for those known."""
        ...

    async def add(self, kind: str, reference: str, entity_id: str) -> None: ...


@dataclass(frozen=True)
class CustomerRow:
    line: int
    reference: str
    customer: NewCustomer


async def _visible_customers(
    uow: UnitOfWork, references: ExternalReferences, names: Collection[str]
) -> dict[str, str]:
    """name (external reference or id) -> customer id, for the customers the person importing
    may see; the others are as unknown to the file as they are to that person's lists."""
    known = await references.known(CUSTOMER, names)
    found = await uow.customers.get_many(set(known.values()))
    return {name: id_ for name, id_ in known.items() if visible(found.get(id_)) is not None}


def duplicate_references(rows: Sequence[tuple[int, str]], column: str) -> list[CellError]:
    """An error on every row whose reference an earlier row of the file has already."""
    first_line: dict[str, int] = {}
    errors = []
    for line, reference in rows:
        if reference in first_line:
            message = f"the same reference as line {first_line[reference]}"
            errors.append(CellError(line, column, message))
        else:
            first_line[reference] = line
    return errors


async def import_customers(
    uow: UnitOfWork,
    references: ExternalReferences,
    rows: Sequence[CustomerRow],
    report: ImportReport,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the customers whose reference is unknown (none in a dry run or with errors).

    `report.created` counts them (in a dry run: those a real run would create), `existing` the
    rows left alone because their reference names a customer already."""
    known = await references.known(CUSTOMER, [row.reference for row in rows])
    new = [row for row in rows if row.reference not in known]
    report.existing = len(rows) - len(new)
    report.created = len(new) if report.ok else 0  # in a dry run: would be created
    if report.dry_run or not report.ok:
        return report
    for done, row in enumerate(new, start=1):
        customer = await create_customer(uow, row.customer)
        await references.add(CUSTOMER, row.reference, customer.id)
        if progress is not None and done % PROGRESS_EVERY == 0:
            await progress(report.existing + done)
    return report


@dataclass(frozen=True)
class OrderGroup:
    """The rows of one order (one row per line), checked: the order as far as the file says."""

    reference: str
    line: int  # its first row's line
    customer: str  # the customer's external reference, or its id
    order: NewOrder  # customer_id left None: resolved here
    line_of_row: tuple[int, ...]  # the line of each of its rows, in line order


def _group_error(
    group: OrderGroup | PriceListGroup, items: str, field: str, message: str
) -> CellError:
    """An error of the use case creating a group's record (whose field is e.g. `lines.2.sku`,
    one of its `items` of one row each) by line and column."""
    parts = field.split(".")
    if parts[0] == items and len(parts) > 1 and parts[1].isdigit():
        index = int(parts[1])
        line = group.line_of_row[index] if index < len(group.line_of_row) else group.line
        return CellError(line, parts[2] if len(parts) > 2 else None, message)
    column = {"customer_id": "customer"}.get(field, field)
    return CellError(group.line, column, message)


async def import_orders(
    uow: UnitOfWork,
    references: ExternalReferences,
    groups: Sequence[OrderGroup],
    report: ImportReport,
    progress: Progress | None = None,
) -> ImportReport:
    """Create a draft order per group whose external reference is unknown, each recording
    order.created. The caller commits only a real run without errors: a dry run does all of
    it and rolls back, so it finds what only creating finds (e.g. an archived customer)."""
    customers = await _visible_customers(uow, references, {group.customer for group in groups})
    for group in groups:
        if group.customer not in customers:
            message = "no customer has this external reference or id"
            report.errors.append(CellError(group.line, "customer", message))
    absent = await uow.orders.absent_references([group.reference for group in groups])
    new = [group for group in groups if group.reference in absent]
    report.existing = len(groups) - len(new)
    if not report.ok:
        return report
    if len(new) > 1:  # their numbers and items asked for together, not for each order
        await uow.take_order_numbers_ahead(utcnow().year, len(new))
        await uow.catalogue.read_ahead_items({line.sku for g in new for line in g.order.lines})
    for done, group in enumerate(new, start=1):
        order = replace(group.order, customer_id=customers[group.customer])
        try:
            await create_order(uow, order, external_reference=group.reference)
        except InvalidOrder as exc:
            report.errors.append(_group_error(group, "lines", exc.field, exc.message))
        except CustomerNotFound as exc:
            report.errors.append(_group_error(group, "lines", "customer_id", str(exc)))
        if progress is not None and done % PROGRESS_EVERY == 0:
            await progress(report.existing + done)
    report.created = len(new) if report.ok else 0
    report.errors.sort(key=lambda error: error.line)
    return report


@dataclass(frozen=True)
class ContactRow:
    line: int
    reference: str
    customer: str  # the customer's external reference, or its id
    contact: NewContact


async def import_contacts(
    uow: UnitOfWork,
    references: ExternalReferences,
    rows: Sequence[ContactRow],
    report: ImportReport,
    progress: Progress | None = None,
) -> ImportReport:
    """Add the contacts whose reference is unknown to their customers (named by reference or
    id); nothing in a dry run or with errors."""
    customers = await _visible_customers(uow, references, {row.customer for row in rows})
    for row in rows:
        if row.customer not in customers:
            message = "no customer has this external reference or id"
            report.errors.append(CellError(row.line, "customer", message))
    known = await references.known(CONTACT, [row.reference for row in rows])
    new = [row for row in rows if row.reference not in known]
    report.existing = len(rows) - len(new)
    report.created = len(new) if report.ok else 0
    if report.dry_run or not report.ok:
        return report
    for done, row in enumerate(new, start=1):
        contact = await add_contact(uow, customers[row.customer], row.contact)
        await references.add(CONTACT, row.reference, contact.id)
        if progress is not None and done % PROGRESS_EVERY == 0:
            await progress(report.existing + done)
    return report


@dataclass(frozen=True)
class PriceListGroup:
    """The rows of one price list (one row per price break), checked."""

    reference: str
    line: int  # its first row's line
    customer: str | None  # the customer's external reference or id; None for a group's list
    price_list: NewPriceList  # customer_id left None: resolved here
    line_of_row: tuple[int, ...]


async def import_price_lists(
    uow: UnitOfWork,
    references: ExternalReferences,
    groups: Sequence[PriceListGroup],
    report: ImportReport,
    progress: Progress | None = None,
) -> ImportReport:
    """Create the price lists whose reference is unknown, with every check of the API (an
    overlap with another list included, those of the same file too). The caller commits only
    a real run without errors: a dry run does it all and rolls back."""
    named = {group.customer for group in groups if group.customer}
    customers = await _visible_customers(uow, references, named)
    for group in groups:
        if group.customer is not None and group.customer not in customers:
            message = "no customer has this external reference or id"
            report.errors.append(CellError(group.line, "customer", message))
    known = await references.known(PRICE_LIST, [group.reference for group in groups])
    new = [group for group in groups if group.reference not in known]
    report.existing = len(groups) - len(new)
    if not report.ok:
        return report
    for done, group in enumerate(new, start=1):
        customer_id = customers[group.customer] if group.customer is not None else None
        try:
            created = await create_price_list(
                uow, replace(group.price_list, customer_id=customer_id)
            )
        except InvalidPriceList as exc:
            report.errors.append(_group_error(group, "entries", exc.field, exc.message))
        except OverlappingPriceList as exc:
            report.errors.append(CellError(group.line, "valid_from", str(exc)))
        else:
            await references.add(PRICE_LIST, group.reference, created.id)
        if progress is not None and done % PROGRESS_EVERY == 0:
            await progress(report.existing + done)
    report.created = len(new) if report.ok else 0
    report.errors.sort(key=lambda error: error.line)
    return report
