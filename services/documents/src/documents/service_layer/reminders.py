"""Dunning reminders: billing says an overdue invoice reached a dunning level; the invoice's PDF
is e-mailed to the customer again, through the e-mail outbox, with the level's text."""

from __future__ import annotations

import logging

from contracts.events import DunningLevelReached
from documents.domain.emails import Email
from documents.domain.model import DocumentKind
from documents.service_layer.mailing import EmailRequest, queue_email
from documents.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class InvoiceNotRenderedYet(LookupError):
    """The invoice's PDF is not stored (yet): the event is retried, then dead-lettered."""


def reminder_text(reminder: DunningLevelReached) -> str:
    return (
        f"{reminder.text}\n\n"
        f"Invoice {reminder.invoice_number}, due {reminder.due_date.isoformat()}: "
        f"{reminder.balance} {reminder.currency} open, {reminder.days_past_due} days past due.\n"
        "The invoice is attached."
    )


async def queue_reminder(
    uow: UnitOfWork, reminder: DunningLevelReached, *, correlation_id: str | None
) -> Email | None:
    """Queue the reminder e-mail with the invoice attached; None when the customer has no
    e-mail address (nothing to send). Raises `InvoiceNotRenderedYet` without the invoice PDF."""
    if not reminder.customer.email:
        log.warning(
            "dunning level %d of invoice %s: customer %s has no e-mail address, nothing sent",
            reminder.level,
            reminder.invoice_number,
            reminder.customer.id,
        )
        return None
    document = await uow.documents.get_by_reference(DocumentKind.INVOICE, reminder.invoice_number)
    if document is None:
        raise InvoiceNotRenderedYet(f"invoice {reminder.invoice_number} has no stored PDF (yet)")
    return await queue_email(
        uow,
        document.id,
        EmailRequest(
            to=[reminder.customer.email],
            subject=f"{reminder.name}: invoice {reminder.invoice_number}",
            message=reminder_text(reminder),
        ),
        requested_by=None,
        correlation_id=correlation_id,
    )
