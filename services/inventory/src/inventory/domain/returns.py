"""Returns (RMA): goods a customer sends back against what an order shipped.

A return is authorised for shipped lines, never more per SKU than the order shipped minus what
its other returns already take back; it is received once, each line restocked (back on hand) or
scrapped (written off, with the reason in the ledger), or cancelled before that. Plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from inventory.domain.model import ZERO, DomainError, tidy


class ReturnStatus(StrEnum):
    AUTHORISED = "authorised"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Disposition(StrEnum):
    RESTOCK = "restock"  # back on hand, available again
    SCRAP = "scrap"  # written off: on hand does not change, the ledger says why


class UnknownReturn(DomainError):
    def __init__(self, return_id: str) -> None:
        super().__init__(f"no return {return_id!r}")
        self.return_id = return_id


class ReturnExceedsShipped(DomainError):
    """More would come back than the order shipped minus what was already returned (409)."""

    def __init__(self, sku: str, requested: Decimal, returnable: Decimal) -> None:
        super().__init__(
            f"cannot return {tidy(requested)} of {sku}: only {tidy(returnable)} was shipped "
            "and not yet returned"
        )
        self.sku = sku


class ReturnStateError(DomainError):
    def __init__(self, number: str, status: ReturnStatus, action: str) -> None:
        super().__init__(f"return {number} is {status.value}: it cannot be {action}")


class DispositionMismatch(DomainError):
    """A receipt must say what happens to every line of the return, and only to those."""

    def __init__(self, missing: set[str], extra: set[str]) -> None:
        parts = []
        if missing:
            parts.append(f"no disposition for {', '.join(sorted(missing))}")
        if extra:
            parts.append(f"{', '.join(sorted(extra))} not on the return")
        super().__init__("; ".join(parts))


def check_returnable(
    requested: Mapping[str, Decimal],
    shipped: Mapping[str, Decimal],
    returned: Mapping[str, Decimal],
) -> None:
    """Refuse a return of more, for some SKU, than was shipped and not yet returned."""
    for sku in sorted(requested):
        returnable = max(shipped.get(sku, ZERO) - returned.get(sku, ZERO), ZERO)
        if requested[sku] <= 0 or requested[sku] > returnable:
            raise ReturnExceedsShipped(sku, requested[sku], returnable)


@dataclass
class ReturnAuthorisation:
    id: str
    number: str
    order_id: str
    reason: str
    lines: dict[str, Decimal]  # quantity per SKU
    status: ReturnStatus = ReturnStatus.AUTHORISED
    dispositions: dict[str, Disposition] | None = None
    note: str | None = None  # what the warehouse found when receiving (why scrapped, say)
    created_at: datetime | None = None
    received_at: datetime | None = None

    def receive(self, dispositions: Mapping[str, Disposition], note: str | None) -> None:
        if self.status is not ReturnStatus.AUTHORISED:
            raise ReturnStateError(self.number, self.status, "received")
        missing, extra = set(self.lines) - set(dispositions), set(dispositions) - set(self.lines)
        if missing or extra:
            raise DispositionMismatch(missing, extra)
        self.dispositions = dict(dispositions)
        self.note = note
        self.status = ReturnStatus.RECEIVED

    def cancel(self) -> None:
        if self.status is not ReturnStatus.AUTHORISED:
            raise ReturnStateError(self.number, self.status, "cancelled")
        self.status = ReturnStatus.CANCELLED

    def restocked(self) -> dict[str, Decimal]:
        """What goes back on hand, per SKU (nothing before it is received)."""
        chosen = self.dispositions or {}
        return {s: q for s, q in self.lines.items() if chosen.get(s) is Disposition.RESTOCK}


# --- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AuthoriseReturn:
    order_id: str
    lines: tuple[tuple[str, Decimal], ...]
    reason: str
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiveReturn:
    return_id: str
    dispositions: tuple[tuple[str, Disposition], ...]
    note: str | None = None
    correlation_id: str | None = None
    actor: str | None = None
