"""Row locks in one global order, with a restart when the set to lock turns out too small.

Every use case locks stock levels first (one statement, in SKU order), then order demands, then
reservation lines, and never waits for a stock level after that. The SKUs to lock are learnt
from unlocked reads; when a re-read under the locks shows that one more SKU is needed (an order
was backordered or reserved meanwhile), the attempt raises `MoreLocksNeeded`: its savepoint (of
the unit of work) is rolled back, which releases every lock it took, and it starts again with
the larger set. Waiting only in that order is what makes deadlocks impossible, rather than
merely retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from inventory.service_layer.ports import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")


class MoreLocksNeeded(Exception):
    """The attempt found, under its locks, that it must also lock `skus`: start it again."""

    def __init__(self, skus: Iterable[str] = ()) -> None:
        self.skus = set(skus)
        super().__init__(f"also lock {sorted(self.skus)}")


class LockSetKeptChanging(RuntimeError):
    """Too many restarts in a row; the caller's transaction may be retried as a whole."""


async def with_restarts(
    uow: UnitOfWork,
    attempt: Callable[[set[str]], Awaitable[T]],
    *,
    limit: int = 10,
) -> T:
    """Run `attempt(extra_skus)` in a savepoint until it needs no more locks than it took."""
    extra: set[str] = set()
    for _ in range(limit):
        try:
            async with uow.savepoint():
                return await attempt(set(extra))
        except MoreLocksNeeded as more:
            log.info("starting again with more locks: %s", more)
            extra |= more.skus
    raise LockSetKeptChanging(f"the SKUs to lock kept changing: {sorted(extra)}")
