"""Print a customer's statement from billing's `suite.statement.prepared.v1`, store it, record
it and announce it (`suite.statement.document_generated.v1`, keyed by the customer id).

Idempotent as the order documents are: the row's id is billing's statement id, rendering is
deterministic and the storage key is the content hash, so the same statement arriving again
changes nothing and a retry after a crash rewrites the same file.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from contracts import CloudEvent, EventType
from contracts.events import StatementDocumentGenerated, StatementPrepared
from documents.domain.statements import (
    PrintableStatement,
    StatementAccount,
    StatementDocument,
    StatementEntryLine,
    StatementOpenItem,
    statement_filename,
    statement_storage_key,
)
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.unit_of_work import Position, UnitOfWork
from servicekit.visibility import EVERYONE, Viewer

log = logging.getLogger(__name__)

SOURCE = "/documents"


class StatementRenderer(Protocol):
    async def render_statement(self, statement: PrintableStatement) -> bytes:
        """The statement's PDF, rendered off the event loop."""
        ...


@dataclass(frozen=True)
class StatementFilter:
    """Which statements a list shows: one customer's, and only those of customers the viewer
    may see (their owner and team as billing sent them)."""

    customer_id: str | None = None
    viewer: Viewer = EVERYONE


class StatementRepository(Protocol):
    async def get(
        self, statement_id: uuid.UUID, *, for_update: bool = False
    ) -> StatementDocument | None: ...

    async def add(self, statement: StatementDocument) -> None: ...

    async def update(self, statement: StatementDocument) -> None: ...

    async def list(
        self, where: StatementFilter, *, after: Position | None, limit: int
    ) -> list[StatementDocument]: ...


class StatementsUnitOfWork(UnitOfWork, Protocol):
    @property
    def statements(self) -> StatementRepository: ...


class NotAStatementId(ValueError):
    """Billing's statement id is not a UUID (a bad event: dead-lettered)."""


def printable_statement(prepared: StatementPrepared) -> PrintableStatement:
    """What the statement prints, from billing's event."""
    try:
        statement_id = uuid.UUID(prepared.statement_id)
    except ValueError:
        raise NotAStatementId(f"statement id {prepared.statement_id!r} is not a UUID") from None
    return PrintableStatement(
        statement_id=statement_id,
        customer_id=prepared.customer_id,
        customer_name=prepared.customer_name,
        period_start=prepared.period_start,
        period_end=prepared.period_end,
        accounts=tuple(
            StatementAccount(
                currency=account.currency,
                opening_balance=account.opening_balance,
                closing_balance=account.closing_balance,
                entries=tuple(
                    StatementEntryLine(
                        on=entry.on,
                        kind=entry.kind,
                        reference=entry.reference,
                        debit=entry.debit,
                        credit=entry.credit,
                        balance=entry.balance,
                    )
                    for entry in account.entries
                ),
            )
            for account in prepared.accounts
        ),
        open_items=tuple(
            StatementOpenItem(
                invoice_number=item.invoice_number,
                currency=item.currency,
                issue_date=item.issue_date,
                due_date=item.due_date,
                gross=item.gross,
                open=item.open,
                days_past_due=item.days_past_due,
            )
            for item in prepared.open_items
        ),
        credit=tuple((amount.currency, amount.amount) for amount in prepared.credit),
    )


async def print_statement(
    uow: StatementsUnitOfWork,
    cause: CloudEvent[StatementPrepared],
    *,
    renderer: StatementRenderer,
    storage: DocumentStorage,
) -> StatementDocument:
    """Render, store, record and announce the statement billing prepared."""
    prepared = cause.data
    printable = printable_statement(prepared)
    existing = await uow.statements.get(printable.statement_id, for_update=True)
    content = await renderer.render_statement(printable)
    sha256 = hashlib.sha256(content).hexdigest()
    key = statement_storage_key(printable.statement_id, sha256)
    if existing is not None and existing.sha256 == sha256:
        log.info("statement %s is already stored, unchanged", existing.id)
        await storage.put(key, content)  # the same bytes: restores a lost file, else a no-op
        return existing
    await storage.put(key, content)
    statement = StatementDocument(
        id=printable.statement_id,
        customer_id=prepared.customer_id,
        customer_name=prepared.customer_name,
        period_start=prepared.period_start,
        period_end=prepared.period_end,
        filename=statement_filename(prepared.customer_id, prepared.period_end),
        size=len(content),
        sha256=sha256,
        storage_key=key,
        source_event_id=cause.id,
        owner=prepared.owner,
        team=prepared.team,
    )
    if existing is None:
        await uow.statements.add(statement)
    else:
        statement.created_at = existing.created_at
        await uow.statements.update(statement)
    await uow.record(statement_generated(statement, cause))
    log.info(
        "statement %s of customer %s stored (%d bytes)",
        statement.id,
        statement.customer_id,
        statement.size,
    )
    return statement


def statement_generated(statement: StatementDocument, cause: CloudEvent[Any]) -> CloudEvent[Any]:
    payload = StatementDocumentGenerated(
        document_id=str(statement.id),
        statement_id=str(statement.id),
        customer_id=statement.customer_id,
        filename=statement.filename,
        content_type=statement.content_type,
        size=statement.size,
        sha256=statement.sha256,
        download_path=statement.download_path,
    )
    return cause.caused(
        EventType.STATEMENT_DOCUMENT_GENERATED,
        payload,
        source=SOURCE,
        subject=statement.customer_id,
    )
