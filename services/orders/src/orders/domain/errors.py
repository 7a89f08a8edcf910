"""Why the domain refuses an action: nothing changed when one of these is raised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class IllegalTransition(Exception):
    """The action is not allowed in the current state (of an order or a quote); nothing changed.

    `details` are facts that explain the refusal (e.g. the shipments that already left).
    """

    def __init__(
        self,
        action: str,
        status: StrEnum,
        reason: str | None = None,
        *,
        subject: str = "order",
        details: Mapping[str, object] | None = None,
    ) -> None:
        self.action = action
        self.status = status
        self.details = dict(details or {})
        self.reason = reason or f"the {subject} is {status.value}"
        super().__init__(f"cannot {action} the {subject}: {self.reason}")


class MissingFields(Exception):
    """An action needs fields that are still empty; `fields` names every one of them."""

    def __init__(self, action: str, fields: Sequence[str]) -> None:
        self.action = action
        self.fields = list(fields)
        super().__init__(f"cannot {action}: missing {', '.join(self.fields)}")


class NotAllowed(Exception):
    """The caller's roles do not allow this action (a stage's `allowed_roles`)."""


class InvalidOrder(ValueError):
    """The order's content breaks a rule; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Conflicting(Exception):
    """Refused because of other records: a duplicate, or records that still name this one."""
