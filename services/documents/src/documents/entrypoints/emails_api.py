"""HTTP API of e-mails of documents: read them, queue a failed one again."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from documents.entrypoints.common import (
    SENDERS,
    ReadingUnitOfWork,
    WakeSender,
    in_transaction,
    position,
)
from documents.entrypoints.emails_schemas import EmailId, EmailPage, EmailRead
from documents.service_layer.mailing import retry_email
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.api import Cursor, Limit, described_problems
from servicekit.http import NotFound
from servicekit.pagination import created_at_and_id_of, page_of

# The filter of the e-mails (their list and their export).
EmailDocumentQuery = Annotated[uuid.UUID | None, Query()]


def build_emails_router(wake_sender: WakeSender) -> APIRouter:
    """E-mails of documents; `wake_sender` after one is queued again."""
    router = APIRouter(prefix="/emails", tags=["emails"])

    @router.get("", response_model=EmailPage)
    async def list_emails(
        uow: ReadingUnitOfWork,
        document_id: EmailDocumentQuery = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> EmailPage:
        """E-mails, oldest first, optionally of one document."""
        found = await uow.emails.list(
            document_id=document_id, after=position(cursor), limit=limit + 1
        )
        reads = [EmailRead.model_validate(email) for email in found]
        items, next_cursor = page_of(reads, limit, created_at_and_id_of)
        return EmailPage(items=items, next_cursor=next_cursor)

    @router.get("/{email_id}", response_model=EmailRead)
    async def get_email(uow: ReadingUnitOfWork, email_id: EmailId) -> EmailRead:
        """One e-mail: its recipients, status, attempts and last error."""
        email = await uow.emails.get(email_id)
        if email is None:
            raise NotFound(f"e-mail {email_id} does not exist")
        return EmailRead.model_validate(email)

    @router.post(
        "/{email_id}/retry",
        status_code=202,
        response_model=EmailRead,
        dependencies=SENDERS,
        responses=described_problems({404: "No such e-mail", 409: "Not failed"}),
    )
    async def retry(request: Request, email_id: EmailId) -> EmailRead:
        """Queue a failed e-mail again, with a fresh set of attempts."""

        async def requeue(uow: UnitOfWork) -> EmailRead:
            return EmailRead.model_validate(await retry_email(uow, email_id))

        read = await in_transaction(request, requeue)
        wake_sender()
        return read

    return router
