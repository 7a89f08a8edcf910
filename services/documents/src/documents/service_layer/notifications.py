"""Milestone notifications: an order became backordered, fully shipped, overdue or paid, and
its owner is told by e-mail, when they gave an address here and did not opt out of that
milestone. The e-mail goes through the same outbox as documents' e-mails, with nothing
attached; its outcome is reported as `suite.notification.emailed.v1` on the order's timeline."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from contracts import EventType
from contracts.events import OrderMilestone
from documents.domain.emails import Email
from documents.domain.notifications import MILESTONE_EVENTS
from documents.service_layer.mailing import utcnow
from documents.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Subject and text of each milestone's e-mail ({number}: the order's number).
MESSAGES: dict[EventType, tuple[str, str]] = {
    EventType.ORDER_BACKORDERED: (
        "Order {number} is backordered",
        "Some lines of order {number} could not be reserved: they wait for stock.",
    ),
    EventType.ORDER_SHIPPED: (
        "Order {number} is fully shipped",
        "Every line of order {number} has been shipped.",
    ),
    EventType.ORDER_OVERDUE: (
        "Order {number} is overdue",
        "An invoice of order {number} is past its due date and not paid in full.",
    ),
    EventType.ORDER_PAID: (
        "Order {number} is paid",
        "The invoices of order {number} are paid in full.",
    ),
}
NOTIFIED_MILESTONES: tuple[EventType, ...] = tuple(MESSAGES)
FOOTER = (
    "\n\nYou receive this because you own the order; you can opt out in your notification settings."
)


async def queue_notification(
    uow: UnitOfWork,
    milestone_type: str,
    milestone: OrderMilestone,
    *,
    correlation_id: str | None,
    now: datetime | None = None,
) -> Email | None:
    """Queue the owner's e-mail about the milestone; None when there is nobody to tell."""
    if milestone.owner is None:
        return None
    event_type = EventType(milestone_type)
    preferences = await uow.notification_preferences.get(milestone.owner)
    address = preferences.address_for(MILESTONE_EVENTS[event_type])
    if address is None:
        return None
    subject, text = MESSAGES[event_type]
    email = Email(
        id=uuid.uuid4(),
        document_id=None,
        to=[address],
        subject=subject.format(number=milestone.number),
        message=text.format(number=milestone.number) + FOOTER,
        order_id=milestone.order_id,
        milestone=milestone_type,
        next_attempt_at=now or utcnow(),
        correlation_id=correlation_id,
    )
    await uow.emails.add(email)
    log.info("notification %s of %s queued for %s", email.id, milestone_type, milestone.number)
    return email
