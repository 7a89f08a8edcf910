"""Running a CSV import of any kind, in the request or in the background: one transaction that
commits only a real run without errors (a dry run does the work, then rolls it back; the
orders it creates get provisional numbers, so it leaves no gap in the year's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.entrypoints import csv_contacts, csv_customers, csv_orders, csv_price_lists
from orders.service_layer.imports import CONTACT, CUSTOMER, ORDER, PRICE_LIST
from servicekit.csvfiles import ImportReport, Table
from servicekit.import_jobs import Progress


@dataclass(frozen=True)
class Importer:
    read: Callable[[bytes, int], Table]  # the file's rows, or CsvRejected
    run: Callable[..., Awaitable[ImportReport]]  # (uow, table, *, dry_run, progress)


IMPORTERS = {
    CUSTOMER: Importer(csv_customers.read, csv_customers.run_import),
    CONTACT: Importer(csv_contacts.read, csv_contacts.run_import),
    ORDER: Importer(csv_orders.read, csv_orders.run_import),
    PRICE_LIST: Importer(csv_price_lists.read, csv_price_lists.run_import),
}


class _RolledBack(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("rolled back")
        self.report = report


async def import_table(
    sessionmaker: async_sessionmaker[AsyncSession],
    kind: str,
    table: Table,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    catalogue_required: bool = True,
) -> ImportReport:
    """The import's report; what it wrote is committed only in a real run without errors.
    Order lines are checked against the catalogue view as over HTTP (`catalogue_required`)."""
    try:
        async with sessionmaker() as session, session.begin():
            uow = SqlUnitOfWork(
                session, catalogue_required=catalogue_required, provisional_numbers=dry_run
            )
            report = await IMPORTERS[kind].run(uow, table, dry_run=dry_run, progress=progress)
            if dry_run or not report.ok:
                raise _RolledBack(report)
    except _RolledBack as done:
        return done.report
    return report
