"""The ledger export: the rows of a period, streamed as they are read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Protocol

from billing.domain.ledger import LedgerRow


class LedgerSource(Protocol):
    def rows(self, start: date, end: date) -> AsyncIterator[LedgerRow]:
        """Every invoice line, payment, reversal and refund dated from `start` to `end`
        (inclusive), by date, type and number."""
        ...
