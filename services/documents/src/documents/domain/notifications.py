"""What a user wants to be e-mailed about: the milestones of the orders they own.

A user who has given an e-mail address is notified of every milestone they have not opted out
of, in the language they chose (English, Spanish or Russian; English unless chosen); without an
address they are not e-mailed (the milestone is still an event and a webhook type). The
addresses stay here, with the e-mail outbox: no order event carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

from contracts import EventType


class Milestone(StrEnum):
    BACKORDERED = "backordered"
    SHIPPED = "shipped"
    OVERDUE = "overdue"
    PAID = "paid"


MILESTONE_EVENTS: dict[EventType, Milestone] = {
    EventType.ORDER_BACKORDERED: Milestone.BACKORDERED,
    EventType.ORDER_SHIPPED: Milestone.SHIPPED,
    EventType.ORDER_OVERDUE: Milestone.OVERDUE,
    EventType.ORDER_PAID: Milestone.PAID,
}


NotificationLanguage = Literal["en", "es", "ru"]
NOTIFICATION_LANGUAGES: tuple[str, ...] = get_args(NotificationLanguage)


@dataclass(frozen=True)
class NotificationPreferences:
    user: str  # the token subject
    email: str | None = None
    opted_out: frozenset[Milestone] = field(default_factory=frozenset)
    language: str | None = None  # of the e-mails' text, one of `NOTIFICATION_LANGUAGES`: English

    def address_for(self, milestone: Milestone) -> str | None:
        """The address to e-mail about `milestone`, or None when this user is not to be told."""
        return None if milestone in self.opted_out else self.email
